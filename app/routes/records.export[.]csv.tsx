import type { LoaderFunctionArgs } from "@remix-run/node";
import { personalData } from "~/attestation/records.server";
import { requestInfo, requireUser } from "~/auth/access.server";
import { writeAudit } from "~/audit/audit.server";
import { csvDocument } from "~/lib/csv";

/** Subject access as a spreadsheet: one row per answer given and per ledger record. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const data = await personalData(context.db, user.id);
  const rows: unknown[][] = [];
  for (const a of data.attempts) {
    rows.push(["attempt", a.title, a.status, a.startedAt, a.completedAt, `${a.score}/${a.answered}`, "", "", ""]);
    for (const answer of a.answers)
      rows.push([
        "answer",
        a.title,
        answer.correct ? "right" : "not the best answer",
        answer.at,
        "",
        "",
        answer.scenarioId,
        answer.choiceId,
        "",
      ]);
  }
  for (const r of data.attestations)
    rows.push(["attestation", r.reference, r.kind, r.recordedAt, "", "", r.typedName ?? "", r.reason ?? "", r.hash]);
  await writeAudit(
    context.db,
    {
      action: "records.exported",
      organisationId: user.organisationId,
      actorUserId: user.id,
      subjectType: "user",
      subjectId: user.id,
      details: { format: "csv" },
    },
    requestInfo(context),
  );
  return new Response(
    csvDocument(["type", "what", "status", "at", "completed", "score", "detail", "detail 2", "hash"], rows),
    {
      headers: {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="my-records.csv"',
        "Cache-Control": "private, no-store",
      },
    },
  );
}
