import type { FieldErrors } from "~/components/form-errors";
import { datePartName, DATE_PARTS, optionalDateField, type DateParts } from "~/lib/date-fields";
import { decodePolicyFile, POLICY_MAX_BYTES, publishSchema, type PublishInput } from "./policies.server";

/** What the publish form shows again after a problem: the text (an uploaded file's, decoded), label, date, answer. */
export type PolicyFormValues = {
  body: string;
  versionLabel: string;
  effectiveDate: DateParts;
  requiresReattestation: string;
};

const effectiveDate = optionalDateField("The date it takes effect");

function dateValue(form: FormData): DateParts | string {
  const parts = DATE_PARTS.map((part) => form.get(datePartName("effectiveDate", part)));
  if (parts.some((p) => typeof p === "string")) {
    const [day, month, year] = parts.map((p) => (typeof p === "string" ? p : ""));
    return { day, month, year };
  }
  const single = form.get("effectiveDate");
  return typeof single === "string" ? single : "";
}

function partsOf(value: DateParts | string): DateParts {
  if (typeof value === "object") return value;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return match
    ? { day: String(Number(match[3])), month: String(Number(match[2])), year: match[1] }
    : { day: "", month: "", year: "" };
}

const isFile = (value: FormDataEntryValue | null): value is File =>
  typeof value === "object" && value !== null && value.name !== "" && value.size > 0;

/**
 * The publish form read and checked on the server: pasted text or an uploaded UTF-8 file (not both), a label,
 * a real date, and whether everyone must sign again. Line endings are made LF here as everywhere.
 */
export async function readPolicyForm(
  form: FormData,
): Promise<
  | { ok: true; input: PublishInput; values: PolicyFormValues }
  | { ok: false; errors: FieldErrors; values: PolicyFormValues }
> {
  const errors: FieldErrors = {};
  const pasted = typeof form.get("body") === "string" ? (form.get("body") as string) : "";
  const file = form.get("file");
  let body = pasted;
  if (isFile(file)) {
    if (pasted.trim() !== "") errors.body = "Paste the text or upload a file, not both";
    else if (file.size > POLICY_MAX_BYTES) errors.file = `The file must be smaller than ${POLICY_MAX_BYTES / 1024} KB`;
    else {
      const decoded = decodePolicyFile(new Uint8Array(await file.arrayBuffer()));
      if (decoded.ok) body = decoded.text;
      else errors.file = decoded.error;
    }
  } else if (Buffer.byteLength(pasted, "utf8") > POLICY_MAX_BYTES)
    errors.body = `The text must be shorter than ${POLICY_MAX_BYTES / 1024} KB`;
  const date = dateValue(form);
  const answer = form.get("requiresReattestation");
  const values: PolicyFormValues = {
    body,
    versionLabel: typeof form.get("versionLabel") === "string" ? (form.get("versionLabel") as string) : "",
    effectiveDate: partsOf(date),
    requiresReattestation: answer === "yes" || answer === "no" ? answer : "",
  };
  const parsedDate = effectiveDate.safeParse(date);
  const iso = parsedDate.success ? parsedDate.data : undefined;
  if (!parsedDate.success) errors.effectiveDate = parsedDate.error.issues[0].message;
  else if (!iso) errors.effectiveDate = "Enter the date it takes effect";
  if (!values.requiresReattestation)
    errors.requiresReattestation = "Select whether everyone must sign this version again";
  const parsed = publishSchema.safeParse({
    versionLabel: values.versionLabel,
    effectiveDate: iso ?? "2000-01-01",
    requiresReattestation: values.requiresReattestation === "yes",
    body,
  });
  if (!parsed.success)
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0]);
      if (field === "body" && (errors.body || errors.file)) continue;
      errors[field] ??= issue.message;
    }
  if (Object.values(errors).some(Boolean) || !parsed.success) {
    // In the order the form asks, so the error summary reads down the page.
    const order = ["body", "file", "versionLabel", "effectiveDate", "requiresReattestation"];
    return { ok: false, errors: Object.fromEntries(order.filter((k) => errors[k]).map((k) => [k, errors[k]])), values };
  }
  return { ok: true, input: parsed.data, values: { ...values, body: parsed.data.body } };
}
