// `npm run bench` runs every benchmark; `npm run bench -- ledger` (or startup, training, tracking, report, roster, exports) runs one.
// Options: --seconds N (load duration, default 10), --verify-count N (ledger records to verify, default 1,000,000),
// --staff N (people in the tracking benchmark's council, default 100,000), --roster-rows N (roster rows to import,
// default 50,000), --rows N and --xlsx-rows N (exports: report rows for CSV and xAPI, default 1,000,000; for XLSX, 100,000).
// Results are written to docs/benchmarks.md, each benchmark in its own section.
import { benchExports } from "./exports";
import { benchLedger } from "./ledger";
import { benchReport } from "./report";
import { benchRoster } from "./roster";
import { benchStartup } from "./startup";
import { benchTracking } from "./tracking";
import { benchTraining } from "./training";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]) || fallback;
};
const seconds = option("seconds", 10);
const chosen = args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"));
const all = chosen.length === 0;

if (all || chosen.includes("startup")) await benchStartup(seconds);
if (all || chosen.includes("training")) await benchTraining(seconds);
if (all || chosen.includes("tracking")) await benchTracking({ staff: option("staff", 100_000) });
if (all || chosen.includes("ledger")) await benchLedger({ verifyCount: option("verify-count", 1_000_000) });
if (all || chosen.includes("report")) await benchReport();
if (all || chosen.includes("roster")) await benchRoster({ rows: option("roster-rows", 50_000) });
if (all || chosen.includes("exports"))
  await benchExports({ rows: option("rows", 1_000_000), xlsxRows: option("xlsx-rows", 100_000) });
process.exit(0);
