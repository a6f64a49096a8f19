//! The portal's two languages: Chinese (the default) and English.
//!
//! Interface texts are [`T`] pairs written next to each other, so a missing
//! translation is a compile error rather than a blank; rule-set texts come
//! as core [`Label`]s and fall back to Chinese when a rule file has no
//! English.

use safegrade::Label;

/// The interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    /// 中文.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The stored form, as in [`Lang::from_code`].
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// Reads the stored form; anything unknown is Chinese.
    pub fn from_code(code: &str) -> Lang {
        if code == "en" {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// A rule-set label in this language.
    pub fn label(self, l: &Label) -> String {
        self.pick(&l.zh, l.en.as_deref()).to_string()
    }

    /// `zh`, or `en` when the language is English and a translation exists.
    pub fn pick<'a>(self, zh: &'a str, en: Option<&'a str>) -> &'a str {
        match (self, en) {
            (Lang::En, Some(en)) => en,
            _ => zh,
        }
    }
}

/// One interface text in both languages.
#[derive(Clone, Copy, Debug)]
pub struct T(pub &'static str, pub &'static str);

impl T {
    /// The text in `lang`.
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.0,
            Lang::En => self.1,
        }
    }
}

pub use texts::*;

/// The interface texts, Chinese then English.
// Each constant's name and its two texts are its documentation.
#[allow(missing_docs)]
mod texts {
    use super::T;

    pub const TITLE: T = T("安全生产自评", "Work-safety self-assessment");
    pub const TAGLINE: T = T(
        "选择适用的规则，回答问题，即时查看评级。所填内容只保存在本浏览器中，不会上传。",
        "Pick the rules for your sector, answer the questions and see your grade at once. Your answers stay in this browser and are never uploaded.",
    );
    pub const SWITCH_LANG: T = T("English", "中文");
    pub const SWITCH_LANG_LABEL: T = T("切换到英文", "Switch to Chinese");
    pub const PICK_RULES: T = T("规则", "Rule set");
    pub const PICK_PLACEHOLDER: T = T("请选择规则…", "Choose a rule set…");
    pub const PICK_SCHEMES: T = T("监管方案（多个规则集依次评估）", "Schemes (rule sets in turn)");
    pub const PICK_RULESETS: T = T("单个规则集", "Single rule sets");
    pub const SCHEME_STEPS: T = T("依次评估", "Steps");
    pub const OWN_RULES: T = T(
        "载入自己的规则文件（.toml；方案可连同其规则文件一起选择）",
        "Load your own rule file (.toml; a scheme with its rule files)",
    );
    pub const AS_OF: T = T("评估基准日", "Assessment date");
    pub const SAVE: T = T("保存答案", "Save answers");
    pub const LOAD: T = T("载入答案", "Load answers");
    pub const PRINT: T = T("打印报告", "Print report");
    pub const CLEAR: T = T("清空答案", "Clear answers");
    pub const REQUIRED: T = T("必填", "required");
    pub const OTHER_QUESTIONS: T = T("其他", "Other questions");
    pub const UNANSWERED: T = T("（未填）", "(no answer)");
    pub const FILLED_IN_SCHEME: T = T(
        "在评估方案中，此项由前一步的结果自动填入（{}）。",
        "In a scheme, this is filled from an earlier step's result ({}).",
    );
    pub const DEFAULTED: T = T("（未填，按默认值 {}）", "(no answer; the default {} assumed)");
    pub const DEFAULT_IS: T = T("未填时按", "If unanswered:");
    pub const YES: T = T("是", "Yes");
    pub const NO: T = T("否", "No");
    pub const ADD_ROW: T = T("添加一条", "Add a record");
    pub const REMOVE_ROW: T = T("删除", "Remove");
    pub const NO_ROWS: T = T("暂无记录。", "No records.");
    pub const ROW: T = T("第{}条", "record {}");
    pub const AT_MOST: T = T("最多 {} 条", "at most {}");
    pub const USCC_OK: T = T("校验码正确", "check character is valid");
    pub const USCC_BAD: T = T("统一社会信用代码有误：", "Invalid unified social credit code: ");
    pub const USCC_EXPECT: T = T("按前17位，校验码应为", "From the first 17 characters the check character is");
    pub const RESULT: T = T("评估结果", "Result");
    pub const SCORE: T = T("得分", "Score");
    pub const BAND_GRADE: T = T("按分数应为", "By score alone");
    pub const ITEMS: T = T("得分与扣分项", "Points gained and lost");
    pub const NO_ITEMS: T = T("没有扣分或加分项。", "No item gained or lost points.");
    pub const CITE: T = T("依据", "Clause");
    pub const ADVICE: T = T("整改建议", "How to fix");
    pub const NOTHING_ANSWERED: T = T(
        "尚未填写任何答案：以下结果完全按默认值计算，不代表本单位的实际情况。",
        "Nothing is answered yet: this result comes from defaults alone and says nothing about your firm.",
    );
    pub const ASSUMED: T = T("未填写的答案（结果按以下处理）", "Not answered (the result assumes)");
    pub const ASSUMED_DEFAULT: T = T("按默认值", "the default:");
    pub const ASSUMED_NOT_APPLICABLE: T =
        T("按不适用处理，相关项目未计分", "not applicable: the items that need it were skipped");
    pub const ASSUMED_PENALTY: T = T("按未填写扣分", "the penalty for a missing answer");
    pub const OVERRIDES: T = T("直接判定与调整", "Overrides");
    pub const NEXT_GRADE: T = T("提升到下一等级", "To reach the next grade");
    pub const NEXT_NEEDS: T = T("整改以下各项即可达到", "Fix these items to reach");
    pub const NEXT_BLOCKED: T = T(
        "以下直接判定条件使等级无法通过整改扣分项提升：",
        "These overrides hold the grade down whatever items are fixed:",
    );
    pub const NEXT_ONLY_UNFIXABLE: T = T(
        "仅整改可整改的项目无法达到下一等级；下列项目中含已发生的事实或企业固有情况，无法通过整改消除。",
        "Fixing what can be fixed does not reach the next grade; the items below include past events or the firm's nature, which no fix removes.",
    );
    pub const UNFIXABLE: T = T("（无法整改）", " (cannot be fixed)");
    pub const AFTER_AS_OF: T = T(
        "{} 晚于评估基准日 {}，不计入任何统计期间",
        "{} is after the assessment date {}, so no time window counts it",
    );
    pub const DATA_WARNINGS: T = T("请核对以下记录", "Check these records");
    pub const NEXT_NONE: T = T("仅整改扣分项无法达到下一等级。", "Fixing items alone cannot reach the next grade.");
    pub const BEST_GRADE: T = T("已是最高等级。", "This is already the best grade.");
    pub const FIX_ANSWERS: T = T("以下答案需要修改后才能评估：", "Fix these answers to see a result:");
    pub const EVAL_FAILED: T = T("评估未能完成：", "The evaluation stopped: ");
    pub const DIAGNOSTICS: T = T("规则文件未通过检查", "The rule file does not check");
    pub const WARNINGS: T = T("规则文件警告", "Rule-file warnings");
    pub const NOTHING_PICKED: T = T("请先在上方选择规则。", "Choose a rule set above to start.");
    pub const REPORT: T = T("安全生产自评报告", "Work-safety self-assessment report");
    pub const REPORT_DATE: T = T("报告日期", "Report date");
    pub const RULESET_ID: T = T("规则编号", "Rule set id");
    pub const VERSION: T = T("版本", "Version");
    pub const HASH: T = T("规则摘要（SHA-256）", "Rule hash (SHA-256)");
    pub const ANSWERS: T = T("全部答案", "All answers");
    pub const QUESTION: T = T("问题", "Question");
    pub const ANSWER: T = T("答案", "Answer");
    pub const BAD_ANSWER_FILE: T = T("答案文件无法读取：", "The answer file cannot be read: ");
    pub const LOADED_ANSWERS: T = T("已载入答案。", "Answers loaded.");
    pub const LOADED_DATE_KEPT: T = T(
        "已载入答案。文件中的评估基准日不是 YYYY-MM-DD 格式的有效日期，未采用，评估基准日保持不变。",
        "Answers loaded. The file's assessment date is not a valid date YYYY-MM-DD and was not taken; the assessment date is unchanged.",
    );
    // In Chinese only: English shows serde_json's and core's own messages.
    pub const NOT_JSON_AT_ZH: &str = "第 {line} 行第 {column} 列不是有效的 JSON";
    pub const NOT_JSON_ZH: &str = "不是有效的 JSON";
    pub const DUPLICATE_KEY_ZH: &str = "第 {line} 行第 {column} 列：键“{key}”重复；同一对象中每个键只能出现一次";
    pub const NOT_AN_OBJECT: T = T("文件内容不是 JSON 对象", "expected a JSON object");
    pub const ANSWERS_NOT_AN_OBJECT: T = T("“answers”不是 JSON 对象", "`answers` is not an object");
    pub const OWN_FILE: T = T("自有规则文件", "own rule file");
    pub const EVAL_TIME: T = T("计算耗时", "computed in");
    pub const SKIP_TO_RESULT: T = T("跳到结果", "Skip to the result");
    pub const PRIVACY: T = T("所有计算在本机浏览器内完成。", "Everything is computed in this browser.");
    pub const CHECKING: T = T("正在检查规则…", "Checking the rules…");
    pub const UPDATING: T = T("正在计算…", "Computing…");
    pub const CHECK_TIMEOUT: T = T(
        "检查规则文件超过 {} 秒，已停止。该文件不会保存，下次访问时也不会恢复。",
        "Checking the rule file took longer than {} s and was stopped. It is not kept for your next visit.",
    );
    pub const CHECK_FAILED: T = T(
        "检查规则文件时出错，已停止。该文件不会保存，下次访问时也不会恢复。",
        "Checking the rule file failed and was stopped. It is not kept for your next visit.",
    );
    pub const EVAL_TIMEOUT: T = T(
        "计算超过 {} 秒，已停止。减少记录数量或简化规则文件后可再试。",
        "computing the result took longer than {} s and was stopped. Fewer records, or a simpler rule file, will help.",
    );
    pub const EVAL_CRASHED: T = T("计算出错，已停止。", "the computation failed and was stopped.");
    pub const DISMISS: T = T("关闭", "Dismiss");
    pub const UNDO: T = T("撤销", "Undo");
    pub const CLEARED: T = T("已清空答案。", "Answers cleared.");
    pub const DROPPED: T = T("已删除本规则没有的答案。", "Answers this rule set does not ask were removed.");
    pub const UNDONE: T = T("已撤销。", "Undone.");
    pub const FILE_TOO_LARGE: T = T(
        "文件过大（{size}，最多 {limit}），未读取。",
        "The file is too large ({size}; at most {limit}) and was not read.",
    );
    pub const TOO_MANY_RECORDS: T = T(
        "答案文件未载入：「{list}」有 {count} 条记录，本规则最多接受 {limit} 条。",
        "The answer file was not loaded: “{list}” has {count} records; this rule set accepts at most {limit}.",
    );
    pub const CONFIRM_IMPORT: T = T(
        "此答案文件是为 {file} 保存的，当前规则是 {current}。仍然载入吗？",
        "This answer file was saved for {file}; the current rule set is {current}. Load it anyway?",
    );
    pub const UNNAMED_RULESET: T = T("（未注明的规则）", "(no rule set named)");
    pub const LOAD_ANYWAY: T = T("仍然载入", "Load anyway");
    pub const CANCEL: T = T("取消", "Cancel");
    pub const NO_RULESET: T = T("请先选择规则，再载入答案。", "Choose a rule set before loading answers.");
    pub const IMPORT_FAILED: T =
        T("答案未载入：它们所属的规则未通过检查。", "The answers were not loaded: their rule set does not check.");
    pub const RULES_NOT_RESTORED: T = T(
        "上次使用的规则文件 {} 未恢复：它没有通过检查、检查超时，或无法保存在本浏览器中。请重新载入。",
        "The rule file {} used last time was not restored: it did not check, ran out of time, or could not be kept in this browser. Load it again.",
    );
    pub const UNKNOWN_ANSWERS: T = T(
        "以下答案不是本规则的问题，需删除后才能评估：",
        "These answers are not questions of this rule set and must be removed before it can assess:",
    );
    pub const DROP_UNKNOWN: T = T("删除这些答案", "Remove these answers");
    pub const NOT_SAVED: T = T(
        "以下内容未能保存在本浏览器中，下次访问时不会恢复：",
        "Not kept in this browser (they will not come back on your next visit):",
    );
    pub const PART_SETTINGS: T = T("设置", "settings");
    pub const PART_RULES: T = T("规则文件", "the rule file");
    pub const PART_ANSWERS: T = T("答案：", "answers for ");
    pub const WHY_FULL: T = T("本站的浏览器存储空间已满", "this site's browser storage is full");
    pub const WHY_DISABLED: T = T("浏览器不允许本站保存数据", "the browser does not let this site store data");
    pub const WHY_REFUSED: T = T("浏览器拒绝保存", "the browser refused");
    pub const PAGE: T = T("页", "Page");
    pub const PAGE_OF: T = T("第 {from}–{to} 条，共 {count} 条", "records {from}–{to} of {count}");
    pub const PREV_PAGE: T = T("上一页", "Previous page");
    pub const NEXT_PAGE: T = T("下一页", "Next page");
    pub const REPORT_MORE: T = T("另有 {} 条记录未列出。", "{} more records are not listed.");
    pub const RULES_OFFLINE: T = T(
        "无法读取：离线时只能用本浏览器打开过的规则集。",
        "Cannot be read: offline, only rule sets opened here before work.",
    );
    // Accessibility: landmark names and what the status region announces.
    pub const TOOLBAR: T = T("规则与答案", "Rule set and answers");
    pub const SAY_RESULT: T = T("评估结果：{grade}，得分 {score}", "Result: {grade}, score {score}");
    pub const SAY_STEPS: T = T("评估结果：{}", "Result: {}");
    pub const SAY_FIX: T = T("无评估结果：{} 个答案需要修改", "No result: {} answers to fix");
    pub const SAY_STOPPED: T = T("评估未能完成", "The evaluation stopped");
}
