/** Other rule files the main text includes, by path relative to it (e.g. `"accident-severity.toml"`). */
export type Includes = Record<string, string>;

/** A problem found in a rule file. Lines and columns start at 1. */
export interface Diagnostic {
  code: string;
  severity: "error" | "warning";
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  help: string | null;
}

/** Text in Chinese with an optional English translation. */
export interface Label { zh: string; en?: string }

export interface RulesetMeta {
  id: string;
  name: Label;
  version: string;
  kind: "risk" | "credit" | "blacklist" | "classification" | "custom";
  /** sha256 (hex) of the rule text followed by the texts of its includes. */
  hash: string;
  effective_from?: string;
  effective_to?: string;
  sources: string[];
  notes?: string;
}

export interface OptionSchema { id: string; label: Label }

export interface FieldSchema {
  name: string;
  type: "bool" | "integer" | "decimal" | "enum" | "date" | "text" | "uscc";
  label: Label;
  help?: Label;
  group?: string;
  /** Decimal bounds, as strings. */
  min?: string;
  max?: string;
  allowed?: string[];
  max_len?: number;
  options?: OptionSchema[];
  required: boolean;
  default?: unknown;
  missing: "required" | "default" | "not_applicable" | "penalty";
  /** Inside a scheme, filled by an earlier step (`step.what`) and not asked; a rule set used on its own asks it. */
  from?: string;
}

export interface ListSchema {
  name: string;
  label: Label;
  help?: Label;
  group?: string;
  max_records: number;
  fields: FieldSchema[];
}

export interface GroupSchema { id: string; label: Label; help?: Label }
export interface GradeSchema { id: string; label: Label; color?: string }

export interface Schema {
  ruleset: RulesetMeta;
  groups: GroupSchema[];
  inputs: FieldSchema[];
  lists: ListSchema[];
  grades: GradeSchema[];
  score_groups: GroupSchema[];
}

export interface FiredItem {
  id: string;
  group?: string;
  /** Decimal, as a string. */
  points: string;
  raw_points: string;
  label: string;
  label_en?: string;
  cite?: string;
  advice?: string;
  advice_en?: string;
  /** Present, and false, for an item that describes the past or the firm's nature. */
  fixable?: false;
}

export interface AppliedOverride {
  id: string;
  action: "force" | "ceiling" | "floor" | "down";
  from: string;
  to: string;
  reason: string;
  reason_en?: string;
  cite?: string;
}

export interface NextGrade {
  grade: string;
  needs: string[] | null;
  blocked_by?: string[];
  exact: boolean;
  /** The items of `needs` that cannot be fixed; present only when no set of fixable items reaches the grade. */
  unfixable?: string[];
}

/** A record dated after the as-of date in a field a time window counts from: the window ignores it. */
export interface Warning {
  code: "future_date";
  list: string;
  /** Counted from 1. */
  record: number;
  field: string;
  date: string;
  message: string;
  message_zh: string;
}

/** The result of one evaluation (`docs/RULES.md`, "The result"). Decimals are strings. */
export interface Assessment {
  ruleset: { id: string; version: string; hash: string };
  as_of: string;
  score: string;
  band_grade: string;
  grade: string;
  grade_label: string;
  grade_label_en?: string;
  grade_color?: string;
  items: FiredItem[];
  overrides: AppliedOverride[];
  values: Record<string, unknown>;
  missing: { input: string; treatment: "default" | "not_applicable" | "penalty" }[];
  skipped: string[];
  next_grade: NextGrade | null;
  /** Omitted when there are none. */
  warnings?: Warning[];
}

/** The result of a scheme: each step's assessment under its alias. */
export interface SchemeAssessment {
  scheme: { id: string; version: string; hash: string };
  as_of: string;
  steps: Record<string, Assessment>;
}

/** What kind of problem an input error is; `type` names it, the other fields are what it names. More kinds may be added. */
export type InputErrorKind =
  | { type: "missing" }
  | { type: "wrong_type"; expected: string; found: "null" | "boolean" | "number" | "text" | "list" | "object" }
  | { type: "not_yes_no" | "not_a_number" | "not_whole" | "too_precise" | "number_out_of_range" | "bad_date" | "bad_uscc"; found: string }
  | { type: "below_minimum"; value: string; min: string }
  | { type: "above_maximum"; value: string; max: string }
  | { type: "not_allowed"; value: string; allowed: string[] }
  | { type: "text_too_long"; chars: number; max: number }
  | { type: "not_an_option"; found: string; options: string[] }
  | { type: "unknown_field"; suggestion: string | null }
  | { type: "too_many_records"; records: number; max: number }
  | { type: "from_earlier_step"; from: string; applicable: boolean; kind: InputErrorKind };

export interface InputError { path: string; message: string; message_zh: string; kind: InputErrorKind }

/** What kind of fault stopped an evaluation; `type` names it, the other fields are what it names. More kinds may be added. */
export type EvalErrorKind =
  | { type: "overflow" | "division_by_zero" | "date_out_of_range" | "base_not_applicable" | "internal" }
  | { type: "bad_duration"; count: string }
  | { type: "unknown_table_key"; table: string; key: string }
  | { type: "rule_error"; message: string }
  | { type: "no_band"; score: string }
  | { type: "not_applicable"; input: string }
  | { type: "value_unavailable"; name: string };

export interface EvalError { context: string; message: string; context_zh: string; message_zh: string; kind: EvalErrorKind }

/**
 * An argument that cannot be used, refused before it is copied into wasm memory.
 * `wrong_type`: not of a kind the argument takes (the texts are strings; the firm is JSON text or a
 * plain object; `includes` is a plain object of strings, `undefined` or `null`).
 * `too_large`: more bytes of UTF-8 than `limit` (see the package's README).
 * `unreadable`: reading it threw (a proxy, a getter), or, for the firm, `JSON.stringify` refused it
 * (a cycle, a BigInt).
 */
export interface ArgumentFailure {
  type: "failure";
  stage: "argument";
  argument: "rulesText" | "firm" | "asOf" | "includes";
  code: "wrong_type" | "too_large" | "unreadable";
  /** The include at fault (its first 100 characters), when the failure is about one. */
  key?: string;
  /** The bound exceeded, in bytes of UTF-8 (`too_large` only). */
  limit?: number;
  message: string;
}

export type CheckFailure = { type: "failure"; stage: "check"; diagnostics: Diagnostic[] };

export type CheckResult =
  | { type: "success"; diagnostics: Diagnostic[] }
  | { type: "failure"; diagnostics: Diagnostic[] }
  | ArgumentFailure;

export type SchemaResult =
  | { type: "success"; kind: "ruleset"; schema: Schema; diagnostics: Diagnostic[] }
  | { type: "success"; kind: "scheme"; steps: { alias: string; schema: Schema }[]; diagnostics: Diagnostic[] }
  | CheckFailure
  | ArgumentFailure;

export type EvaluateResult =
  | { type: "success"; result: Assessment | SchemeAssessment }
  | CheckFailure
  | ArgumentFailure
  | { type: "failure"; stage: "as_of" | "input"; message: string }
  | {
      type: "failure";
      stage: "evaluate";
      error: { type: "input"; errors: InputError[] } | { type: "eval"; error: EvalError };
    };
