// `npm run bench` runs every benchmark; `npm run bench -- ledger` (or startup, training, content, tracking, report, roster,
// ledger-appends, ledger-proofs, exports, exports-web, forgot-password, runbook, people-search, sso-callback) runs one. --runs N: runbook passes of each kind (default 3). --requests N: forgot-password requests of each kind, or sso-callback sign-ins of each kind (default 50).
// Options: --seconds N (load duration, default 10), --signings N (ledger-appends: appends of each kind, default 2,000), --verify-count N (ledger and ledger-proofs: records to verify, default 1,000,000;
// with --verify-only, only the format 2 section: signature costs and verifyLedger of format 1 against format 2),
// --staff N (people in the tracking benchmark's council, default 100,000), --roster-rows N (roster rows to import,
// default 50,000), --rows N and --xlsx-rows N (exports: report rows for CSV and xAPI, default 1,000,000; for XLSX, 100,000;
// exports-web: the council's report rows, default 20,000), --people N and --searches N (people-search: the council's
// people, default 100,000; searches of each kind, default 200).
// Results are written to docs/benchmarks.md, each benchmark in its own section.
// Records are signed with a fresh test key unless LEDGER_SIGNING_KEY(_FILE) names another.
import "../../test/support/ledger-test-key";
import { benchContent } from "./content";
import { benchExports, benchExportsInARow } from "./exports";
import { benchForgotPassword } from "./forgot-password";
import { benchLedger } from "./ledger";
import { benchLedgerAppends } from "./ledger-appends";
import { benchLedgerProofs } from "./ledger-proofs";
import { benchPeopleSearch } from "./people-search";
import { benchReport } from "./report";
import { benchRoster } from "./roster";
import { benchRunbook } from "./runbook";
import { benchSsoCallback } from "./sso-callback";
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
if (all || chosen.includes("content")) await benchContent();
if (all || chosen.includes("tracking")) await benchTracking({ staff: option("staff", 100_000) });
if (all || chosen.includes("ledger"))
  await benchLedger({ verifyCount: option("verify-count", 1_000_000), verifyOnly: args.includes("--verify-only") });
if (all || chosen.includes("ledger-appends")) await benchLedgerAppends({ signings: option("signings", 2000) });
if (all || chosen.includes("ledger-proofs"))
  await benchLedgerProofs({ count: option("verify-count", 1_000_000), receipts: 200, after: 1000 });
if (all || chosen.includes("report")) await benchReport();
if (all || chosen.includes("roster")) await benchRoster({ rows: option("roster-rows", 50_000) });
if (all || chosen.includes("exports"))
  await benchExports({ rows: option("rows", 1_000_000), xlsxRows: option("xlsx-rows", 100_000) });
if (all || chosen.includes("exports-web")) await benchExportsInARow({ rows: option("rows", 20_000) });
if (all || chosen.includes("forgot-password")) await benchForgotPassword(option("requests", 50));
if (all || chosen.includes("runbook")) await benchRunbook(option("runs", 3));
if (all || chosen.includes("people-search"))
  await benchPeopleSearch({ people: option("people", 100_000), rounds: option("searches", 200) });
if (all || chosen.includes("sso-callback")) await benchSsoCallback(option("requests", 50));
process.exit(0);
