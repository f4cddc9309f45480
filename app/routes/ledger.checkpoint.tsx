import type { LoaderFunctionArgs } from "@remix-run/node";
import { checkpointForRecordHolder } from "~/attestation/checkpoints.server";
import { recordHolderSchema } from "~/attestation/forms";
import { notFound } from "~/auth/access.server";

/**
 * `/ledger/checkpoint?reference=&hash=`: the latest signed checkpoint (C2SP tlog-checkpoint) of the council whose record
 * that is, as text; 404 for anyone without a genuine record's reference and hash. Not linked publicly.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const parsed = recordHolderSchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) throw notFound();
  const checkpoint = await checkpointForRecordHolder(context.db, parsed.data.reference, parsed.data.hash);
  if (!checkpoint) throw notFound();
  return new Response(checkpoint, {
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}
