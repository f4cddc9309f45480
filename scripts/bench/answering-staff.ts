// The staff side of the training benchmark, in a worker thread of its own: clients that share the server's event
// loop would add their own work to every latency they measure. Each person signs in over HTTP, starts an attempt and
// posts their answers back to back, as a browser without JavaScript would, until the time is up: each time the first
// choice in the attempt's order, following its follow-up when it has one. Which variants an attempt asks and in what
// order it shows choices are the attempt's own, fixed by the server at its start: the worker asks the parent for them
// once per attempt (the parent reads the attempt's row) rather than load every question page. The posts go
// through node:http on a keep-alive connection per person rather than fetch, which costs several times more CPU
// per request, on the same two cores as the server.
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import type { TrainingModule } from "~/training/content-schema";
import type { AttemptInput } from "~/training/machine";
import { HttpClient } from "../../test/support/http";

export type StaffWork = {
  baseUrl: string;
  moduleSlug: string;
  people: { email: string; password: string }[];
  /** The module's content, to follow an attempt's path from its draw and choice order. */
  module: TrainingModule;
  seconds: number;
  /** Answering before the measured time, unrecorded, so the server's code is compiled (JIT) as in a running service. */
  warmupSeconds: number;
};
export type StaffResult = { latencies: number[]; errors: number; seconds: number };
/** A request to the parent for an attempt's draw and choice order. */
export type AttemptQuestion = { requestId: number; attemptId: string };

/** The questions of one attempt, in order, answering each with the first choice shown. */
function pathOf(module: TrainingModule, input: AttemptInput) {
  const path: { scenarioId: string; choiceId: string }[] = [];
  for (const slot of module.slots) {
    const variant = slot.variants.find((v) => v.id === input.draw[slot.id])!;
    const choiceId = input.order[variant.id][0];
    path.push({ scenarioId: variant.id, choiceId });
    const followUp = variant.choices.find((c) => c.id === choiceId)!.followUp;
    if (followUp) path.push({ scenarioId: followUp.id, choiceId: input.order[followUp.id][0] });
  }
  return path;
}

const pending = new Map<number, (input: AttemptInput) => void>();
let nextRequest = 0;
/** Asks the parent for an attempt's draw and choice order. */
function inputOf(attemptId: string): Promise<AttemptInput> {
  const requestId = nextRequest++;
  return new Promise((resolve) => {
    pending.set(requestId, resolve);
    parentPort!.postMessage({ requestId, attemptId } satisfies AttemptQuestion);
  });
}

/** One person's browser: their cookies, their CSRF token and one kept-alive connection. */
function formPoster(baseUrl: string, cookie: string, csrf: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(baseUrl);
  return (path: string, fields: Record<string, string>) =>
    new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const body = new URLSearchParams({ csrf, ...fields }).toString();
      const req = request(
        {
          hostname,
          port,
          path,
          method: "POST",
          agent,
          headers: {
            cookie,
            "content-type": "application/x-www-form-urlencoded",
            "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
}

type Person = {
  post: ReturnType<typeof formPoster>;
  attempt: string | null;
  path: { scenarioId: string; choiceId: string }[];
  step: number;
};

/** Everyone answers back to back for `seconds`, each carrying on where they were; gives the latency of every answer. */
async function answerFor(people: Person[], module: TrainingModule, seconds: number) {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    people.map(async (person) => {
      while (performance.now() < deadline) {
        if (person.attempt === null) {
          const start = await person.post(`/training/${module.id}`, {});
          if (!start.location) throw new Error(`starting answered ${start.status}`);
          person.attempt = start.location;
          person.path = pathOf(module, await inputOf(start.location.split("/").pop()!));
          person.step = 0;
        }
        const { scenarioId, choiceId } = person.path[person.step];
        const t0 = performance.now();
        const response = await person.post(person.attempt, { scenarioId, choiceId, step: String(person.step) });
        latencies.push(performance.now() - t0);
        if (response.status !== 302) errors++;
        person.step++;
        if (person.step === person.path.length) person.attempt = null;
      }
    }),
  );
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}

async function run(
  { baseUrl, module, people, seconds, warmupSeconds }: StaffWork,
  ready: () => Promise<void>,
): Promise<StaffResult> {
  const staff: Person[] = await Promise.all(
    people.map(async (person) => {
      const client = new HttpClient(baseUrl);
      await client.signIn(person.email, person.password);
      const csrf = await client.csrfToken();
      return { post: formPoster(baseUrl, client.cookieHeader, csrf), attempt: null, path: [], step: 0 };
    }),
  );
  await answerFor(staff, module, warmupSeconds);
  await ready();
  return answerFor(staff, module, seconds);
}

const port = parentPort;
if (port) {
  // Signed in and warmed up: tell the parent, and start answering when it says so (it measures from then).
  let go: (() => void) | null = null;
  port.on("message", (message: "go" | { requestId: number; input: AttemptInput }) => {
    if (message === "go") go?.();
    else {
      pending.get(message.requestId)?.(message.input);
      pending.delete(message.requestId);
    }
  });
  const ready = () =>
    new Promise<void>((resolve) => {
      go = resolve;
      port.postMessage({ ready: true });
    });
  port.postMessage(await run(workerData as StaffWork, ready));
}
