import type { LoaderFunctionArgs } from "@remix-run/node";
import { consistencyForRecordHolder } from "~/attestation/checkpoints.server";
import { consistencyQuerySchema } from "~/attestation/forms";
import { notFound } from "~/auth/access.server";

/**
 * `/ledger/consistency?reference=&hash=&from=N&to=M`: the RFC 9162 consistency proof from the council's tree of N
 * records to its tree of M (by default its latest checkpoint's), one base64 hash a line, for whoever holds one of its
 * records' reference and hash. 400 for sizes outside the latest checkpoint, 404 otherwise. Not linked publicly.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const parsed = consistencyQuerySchema.safeParse(params.to === "" ? { ...params, to: undefined } : params);
  if (!parsed.success) throw notFound();
  const { reference, hash, from, to } = parsed.data;
  const answer = await consistencyForRecordHolder(context.db, reference, hash, from, to ?? null);
  if (answer.status === "not-found") throw notFound();
  if (answer.status === "bad-range")
    return new Response(`Give sizes with 1 <= from <= to <= ${answer.latest}, the latest checkpoint's size.\n`, {
      status: 400,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  return new Response(answer.proof, {
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Tree-Sizes": `${answer.from} ${answer.to}`,
    },
  });
}
