// Answering the portal's questionnaire through its form, as a user would,
// for the end-to-end tests: each question by its element's kind, and a
// firm's answers (scalars and list records, as in a fixture) in one go.

// Answers one question (`q-<input>` or `q-<list>-<record>-<field>`).
export async function answer(page, id, value) {
  const el = page.locator(`#${id}`);
  const kind = await el.evaluate((e) => (e.tagName === "SELECT" ? "select" : e.type));
  if (kind === "select") await el.selectOption(String(value));
  else if (kind === "checkbox") await el.setChecked(Boolean(value));
  else await el.fill(String(value));
}

// Answers a firm's data: scalars by their question, each list record added
// with its list's button, then its fields.
export async function fillFirm(page, data) {
  for (const [key, value] of Object.entries(data)) {
    if (Array.isArray(value)) {
      for (const [i, rec] of value.entries()) {
        await page.click(`[data-list="${key}"] button.add`);
        for (const [field, v] of Object.entries(rec)) await answer(page, `q-${key}-${i}-${field}`, v);
      }
    } else {
      await answer(page, `q-${key}`, value);
    }
  }
}
