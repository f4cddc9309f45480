// The staff side of the training benchmark, in a worker thread of its own: clients that share the server's event
// loop would add their own work to every latency they measure. Each person signs in over HTTP, starts an attempt
// and posts their answers back to back, as a browser without JavaScript would, until the time is up. The posts go
// through node:http on a keep-alive connection per person rather than fetch, which costs several times more CPU
// per request, on the same two cores as the server.
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import { HttpClient } from "../../test/support/http";

export type StaffWork = {
  baseUrl: string;
  moduleSlug: string;
  people: { email: string; password: string }[];
  path: { scenarioId: string; choiceId: string }[];
  seconds: number;
  /** Answering before the measured time, unrecorded, so the server's code is compiled (JIT) as in a running service. */
  warmupSeconds: number;
};
export type StaffResult = { latencies: number[]; errors: number; seconds: number };

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

type Person = { post: ReturnType<typeof formPoster>; attempt: string | null; step: number };

/** Everyone answers back to back for `seconds`, each carrying on where they were; gives the latency of every answer. */
async function answerFor(people: Person[], moduleSlug: string, path: StaffWork["path"], seconds: number) {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    people.map(async (person) => {
      while (performance.now() < deadline) {
        if (person.attempt === null) {
          const start = await person.post(`/training/${moduleSlug}`, {});
          if (!start.location) throw new Error(`starting answered ${start.status}`);
          person.attempt = start.location;
          person.step = 0;
        }
        const choice = path[person.step];
        const t0 = performance.now();
        const response = await person.post(person.attempt, {
          scenarioId: choice.scenarioId,
          choiceId: choice.choiceId,
          step: String(person.step),
        });
        latencies.push(performance.now() - t0);
        if (response.status !== 302) errors++;
        person.step++;
        if (person.step === path.length) person.attempt = null;
      }
    }),
  );
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}

async function run(
  { baseUrl, moduleSlug, people, path, seconds, warmupSeconds }: StaffWork,
  ready: () => Promise<void>,
): Promise<StaffResult> {
  const staff: Person[] = await Promise.all(
    people.map(async (person) => {
      const client = new HttpClient(baseUrl);
      await client.signIn(person.email, person.password);
      const csrf = await client.csrfToken();
      return { post: formPoster(baseUrl, client.cookieHeader, csrf), attempt: null, step: 0 };
    }),
  );
  await answerFor(staff, moduleSlug, path, warmupSeconds);
  await ready();
  return answerFor(staff, moduleSlug, path, seconds);
}

const port = parentPort;
if (port) {
  // Signed in and warmed up: tell the parent, and start answering when it says so (it measures from then).
  const ready = () =>
    new Promise<void>((go) => {
      port.once("message", () => go());
      port.postMessage({ ready: true });
    });
  port.postMessage(await run(workerData as StaffWork, ready));
}
