import type { Db } from "~db/client.server";
import { checkpointAll, type CheckpointRun } from "./checkpoints.server";
import { serviceKeys } from "./service-key.server";

export type Checkpointer = {
  /** Asks for a checkpoint soon (a few seconds after the first ask; asks meanwhile join it). Nothing waits for it. */
  schedule(): void;
  /** Runs the asked-for checkpoint now (if any) and waits for every run in progress: for shutting down, and tests. */
  flush(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * The server process's checkpointer (docs/decisions/0024): a run of checkpointAll a few seconds after a signature or
 * withdrawal asks for one, and a sweep every minute for appends another server process (or a crash) left. One run at
 * a time in this process; across processes each council's advisory lock keeps them apart.
 */
export function startCheckpointer(
  db: Db,
  options: {
    log: (level: "info" | "error", message: string, details?: Record<string, unknown>) => void;
    delayMs?: number;
    intervalMs?: number;
  },
): Checkpointer {
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const report = (runs: CheckpointRun[]) => {
    for (const { slug, outcome } of runs) {
      if (outcome.status === "checkpointed")
        options.log("info", `Ledger checkpoint of ${slug}: ${outcome.size} records`, { size: outcome.size });
      else if (outcome.status === "refused")
        options.log(
          "error",
          `Ledger checkpoint of ${slug} REFUSED at record ${outcome.problem.seq} (${outcome.problem.reference}): ${outcome.problem.reason}`,
          { problem: outcome.problem },
        );
    }
  };
  const run = () => {
    running = running
      .then(() => checkpointAll(db, serviceKeys()))
      .then(report)
      .catch((error: unknown) =>
        options.log("error", `Ledger checkpoint failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    return running;
  };
  const fire = () => {
    timer = null;
    if (!stopped) void run();
  };
  const sweep = setInterval(() => void run(), options.intervalMs ?? 60_000);
  sweep.unref();

  return {
    schedule() {
      if (stopped || timer) return;
      timer = setTimeout(fire, options.delayMs ?? 3_000);
      timer.unref();
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        fire();
      }
      await running;
    },
    async stop() {
      stopped = true;
      clearInterval(sweep);
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
