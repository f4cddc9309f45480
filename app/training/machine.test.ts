import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseModule, type TrainingModule } from "./content-schema";
import { checkModule, hasHeading, normaliseHeading, policyHeadings } from "./load-content";
import {
  answer,
  createModuleMachine,
  moduleContentHash,
  reachesPassMark,
  startAttempt,
  type PersistedAttempt,
} from "./machine";

/** A tiny module: q1 branches (b goes to a follow-up, c straight on), then q2, then q3 ends. */
const citation = { document: "Test Council: Test Policy", section: "1.1", heading: "Personal use" };
const choice = (id: string, correct: boolean, next: string) => ({
  id,
  text: `Answer ${id}`,
  correct,
  feedback: `Because answer ${id} is what the policy says.`,
  citation,
  next,
});
const tiny = {
  id: "tiny-module",
  organisation: "wirral",
  title: "Tiny module",
  summary: "A module for unit tests.",
  passMark: 0.8,
  startScenario: "q1",
  scenarios: [
    {
      id: "q1",
      kind: "main",
      title: "First",
      situation: "A situation.\n\nMore of it.",
      question: "What first?",
      choices: [choice("a", true, "q2"), choice("b", false, "q1-follow-up"), choice("c", false, "q2")],
    },
    {
      id: "q1-follow-up",
      kind: "follow-up",
      title: "Follow-up",
      situation: "Think again.",
      question: "And now?",
      choices: [choice("a", false, "q2"), choice("b", true, "q2"), choice("c", false, "q2")],
    },
    {
      id: "q2",
      kind: "main",
      title: "Second",
      situation: "Another.",
      question: "What next?",
      choices: [choice("a", false, "q3"), choice("b", false, "q3"), choice("c", true, "q3")],
    },
    {
      id: "q3",
      kind: "main",
      title: "Third",
      situation: "Last.",
      question: "Finally?",
      choices: [choice("a", true, "end"), choice("b", false, "end"), choice("c", false, "end")],
    },
  ],
};
const parsed = parseModule(tiny, "tiny.json");
if (!parsed.module) throw new Error(`The tiny module should parse: ${JSON.stringify(parsed.problems)}`);
const module: TrainingModule = parsed.module;
const machine = createModuleMachine(module);
const chosen = (scenarioId: string, choiceId: string) => ({ type: "answer.chosen" as const, scenarioId, choiceId });

function play(m: ReturnType<typeof createModuleMachine>, steps: [string, string][]): PersistedAttempt {
  let s = startAttempt(m);
  for (const [scenarioId, choiceId] of steps) {
    const result = answer(m, s, chosen(scenarioId, choiceId));
    expect(result.accepted, `${scenarioId}/${choiceId} at ${s.value}`).toBe(true);
    s = result.snapshot;
  }
  return s;
}

/** n scenarios in a line, each with a right "a" and wrong "b" and "c". */
function lineModule(n: number, passMark: number): TrainingModule {
  const result = parseModule(
    {
      ...tiny,
      passMark,
      startScenario: "s1",
      scenarios: Array.from({ length: n }, (_, i) => ({
        id: `s${i + 1}`,
        kind: "main",
        title: `S${i + 1}`,
        situation: "A situation.",
        question: "Which?",
        choices: [
          choice("a", true, i + 1 === n ? "end" : `s${i + 2}`),
          choice("b", false, i + 1 === n ? "end" : `s${i + 2}`),
          choice("c", false, i + 1 === n ? "end" : `s${i + 2}`),
        ],
      })),
    },
    "line.json",
  );
  if (!result.module) throw new Error(JSON.stringify(result.problems));
  return result.module;
}

function runLine(m: TrainingModule, wrong: number): PersistedAttempt {
  const lm = createModuleMachine(m);
  return play(
    lm,
    m.scenarios.map((s, i) => [s.id, i < wrong ? "b" : "a"]),
  );
}

describe("the module machine", () => {
  it("starts at the module's first scenario with nothing scored", () => {
    expect(startAttempt(machine)).toEqual({ value: "q1", context: { score: 0, answered: 0, path: [] } });
  });

  it("changes nothing for an answer to another question, an unknown choice or another event type", () => {
    const start = startAttempt(machine);
    const frozen = structuredClone(start);
    expect(answer(machine, start, chosen("q2", "a"))).toEqual({ accepted: false, snapshot: frozen });
    expect(answer(machine, start, chosen("q1", "zzz"))).toEqual({ accepted: false, snapshot: frozen });
    expect(answer(machine, start, { type: "answer.other", scenarioId: "q1", choiceId: "a" } as never)).toEqual({
      accepted: false,
      snapshot: frozen,
    });
    expect(start).toEqual(frozen);
  });

  it("refuses a replayed answer and an answer out of order, leaving the snapshot as it was", () => {
    const afterQ1 = play(machine, [["q1", "a"]]);
    expect(afterQ1.value).toBe("q2");
    const frozen = structuredClone(afterQ1);
    expect(answer(machine, afterQ1, chosen("q1", "a"))).toEqual({ accepted: false, snapshot: frozen }); // replay
    expect(answer(machine, afterQ1, chosen("q1", "b"))).toEqual({ accepted: false, snapshot: frozen }); // change of mind
    expect(answer(machine, afterQ1, chosen("q3", "a"))).toEqual({ accepted: false, snapshot: frozen }); // skipping ahead
    expect(answer(machine, afterQ1, chosen("q1-follow-up", "b"))).toEqual({ accepted: false, snapshot: frozen }); // a branch not taken
  });

  it("refuses a stored snapshot that is not one of the module's question states", () => {
    const forged = { value: "passed", context: { score: 9, answered: 9, path: [] } };
    expect(answer(machine, forged, chosen("q1", "a")).accepted).toBe(false);
    expect(
      answer(machine, { value: "deciding", context: { score: 0, answered: 0, path: [] } }, chosen("q1", "a")).accepted,
    ).toBe(false);
    expect(
      answer(machine, { value: "toString", context: { score: 0, answered: 0, path: [] } }, chosen("q1", "a")).accepted,
    ).toBe(false);
    expect(
      answer(machine, { value: "nowhere", context: { score: 0, answered: 0, path: [] } }, chosen("q1", "a")).accepted,
    ).toBe(false);
  });

  it("branches on the choice made", () => {
    expect(play(machine, [["q1", "b"]]).value).toBe("q1-follow-up");
    expect(play(machine, [["q1", "c"]]).value).toBe("q2");
    expect(play(machine, [["q1", "a"]]).value).toBe("q2");
  });

  it("counts answers right first time, records the path, and counts follow-ups as questions", () => {
    const end = play(machine, [
      ["q1", "b"],
      ["q1-follow-up", "b"],
      ["q2", "c"],
      ["q3", "a"],
    ]);
    expect(end.context).toEqual({
      score: 3,
      answered: 4,
      path: [
        { scenarioId: "q1", choiceId: "b", correct: false },
        { scenarioId: "q1-follow-up", choiceId: "b", correct: true },
        { scenarioId: "q2", choiceId: "c", correct: true },
        { scenarioId: "q3", choiceId: "a", correct: true },
      ],
    });
    expect(end.value).toBe("failed"); // 3 of 4 = 75 %, under 80 %
  });

  it("passes the best path and fails a path of wrong answers", () => {
    expect(
      play(machine, [
        ["q1", "a"],
        ["q2", "c"],
        ["q3", "a"],
      ]),
    ).toMatchObject({ value: "passed", context: { score: 3, answered: 3 } });
    expect(
      play(machine, [
        ["q1", "b"],
        ["q1-follow-up", "a"],
        ["q2", "a"],
        ["q3", "b"],
      ]),
    ).toMatchObject({ value: "failed", context: { score: 0, answered: 4 } });
  });

  it("passes at exactly the pass mark and fails just below it", () => {
    const five = lineModule(5, 0.8);
    expect(runLine(five, 1)).toMatchObject({ value: "passed", context: { score: 4, answered: 5 } }); // 80 %
    expect(runLine(five, 2)).toMatchObject({ value: "failed", context: { score: 3, answered: 5 } }); // 60 %
    const ten = lineModule(10, 0.7);
    expect(runLine(ten, 3).value).toBe("passed"); // 7 of 10 meets 0.7, though 10 * 0.7 is 7.000000000000001
    expect(runLine(ten, 4).value).toBe("failed");
    expect(runLine(lineModule(3, 1), 0).value).toBe("passed");
    expect(runLine(lineModule(3, 1), 1).value).toBe("failed");
  });

  it("decides the pass mark by the share answered right", () => {
    expect(reachesPassMark(4, 5, 0.8)).toBe(true);
    expect(reachesPassMark(7, 10, 0.7)).toBe(true);
    expect(reachesPassMark(6, 10, 0.7)).toBe(false);
    expect(reachesPassMark(0, 0, 0)).toBe(false);
  });

  it("refuses any answer once the attempt has ended", () => {
    const end = play(machine, [
      ["q1", "a"],
      ["q2", "c"],
      ["q3", "a"],
    ]);
    expect(end.value).toBe("passed");
    expect(answer(machine, end, chosen("q3", "a"))).toEqual({ accepted: false, snapshot: end });
    expect(answer(machine, end, chosen("q1", "a"))).toEqual({ accepted: false, snapshot: end });
  });

  it("restores a snapshot that went through JSON, as the server stores it", () => {
    const stored = JSON.parse(JSON.stringify(play(machine, [["q1", "b"]]))) as PersistedAttempt;
    const next = answer(machine, stored, chosen("q1-follow-up", "b"));
    expect(next).toMatchObject({ accepted: true, snapshot: { value: "q2", context: { score: 1, answered: 2 } } });
  });
});

describe("content hashes", () => {
  it("is a sha256 hex digest that ignores key order and formatting", () => {
    const hash = moduleContentHash(module);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const reordered = JSON.parse(
      JSON.stringify(Object.fromEntries(Object.entries(module).reverse()), null, 4),
    ) as TrainingModule;
    expect(moduleContentHash(reordered)).toBe(hash);
    const scenarioKeysReversed = {
      ...module,
      scenarios: module.scenarios.map((s) => Object.fromEntries(Object.entries(s).reverse())),
    } as TrainingModule;
    expect(moduleContentHash(scenarioKeysReversed)).toBe(hash);
  });

  it("changes when any content changes, including a single feedback word or the order of choices", () => {
    const hash = moduleContentHash(module);
    expect(moduleContentHash({ ...module, title: "Changed" })).not.toBe(hash);
    const feedbackEdited = structuredClone(module);
    feedbackEdited.scenarios[2].choices[1].feedback += " Also.";
    expect(moduleContentHash(feedbackEdited)).not.toBe(hash);
    const reorderedChoices = structuredClone(module);
    reorderedChoices.scenarios[0].choices.reverse();
    expect(moduleContentHash(reorderedChoices)).not.toBe(hash);
  });

  it("is stable across runs for the same content", () => {
    // Pinned: if this changes, every stored module version would look new to the server.
    expect(moduleContentHash(lineModule(1, 0.5))).toBe(moduleContentHash(lineModule(1, 0.5)));
    expect(moduleContentHash(module)).toBe("c3e1881084259c908c867c32d0ac6f88ac5550e6a3599795abb816ac1ac7d399");
    // The same value by hand: sha256 of the sorted-key JSON with no white space.
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sortKeys)
        : v && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .map(([k, x]) => [k, sortKeys(x)]),
            )
          : v;
    expect(
      createHash("sha256")
        .update(JSON.stringify(sortKeys(module)))
        .digest("hex"),
    ).toBe(moduleContentHash(module));
  });
});

describe("parseModule", () => {
  it("accepts the tiny module and fills in the default pass mark", () => {
    const { passMark: _omitted, ...withoutPassMark } = tiny;
    const result = parseModule(withoutPassMark, "f.json");
    expect(result.problems).toEqual([]);
    expect(result.module?.passMark).toBe(0.8);
  });

  it("names the file and JSON path of a missing citation heading", () => {
    const broken = JSON.parse(JSON.stringify(tiny)) as {
      scenarios: { choices: { citation: Record<string, unknown> }[] }[];
    };
    delete broken.scenarios[3].choices[1].citation.heading;
    expect(parseModule(broken, "content/wirral/modules/personal-use.json")).toEqual({
      module: null,
      problems: [
        {
          file: "content/wirral/modules/personal-use.json",
          path: "scenarios[3].choices[1].citation.heading",
          message: "Required",
        },
      ],
    });
  });

  it("reports too few choices, no correct choice, a duplicate choice id, an unknown key and a bad organisation", () => {
    const broken = structuredClone(tiny) as Record<string, unknown> & typeof tiny;
    broken.organisation = "kent";
    broken.scenarios[0].choices = broken.scenarios[0].choices.slice(0, 2);
    broken.scenarios[2].choices = broken.scenarios[2].choices.map((c) => ({ ...c, correct: false }));
    broken.scenarios[3].choices[2].id = "a";
    (broken.scenarios[1] as Record<string, unknown>).notes = "left in by mistake";
    const result = parseModule(broken, "f.json");
    expect(result.module).toBeNull();
    const found = result.problems.map((p) => `${p.file}: ${p.path}: ${p.message}`);
    expect(found).toContain("f.json: scenarios[0].choices: A scenario needs at least 3 choices");
    expect(found).toContain("f.json: scenarios[2].choices: A scenario needs at least one correct choice");
    expect(found).toContain('f.json: scenarios[3].choices[2].id: Choice id "a" is used twice');
    expect(found.some((f) => f.startsWith("f.json: scenarios[1]: ") && f.includes("notes"))).toBe(true);
    expect(found.some((f) => f.startsWith("f.json: organisation: "))).toBe(true);
  });

  it("reports a dangling next, a missing start scenario, a duplicate scenario and reserved ids", () => {
    const dangling = structuredClone(tiny);
    dangling.scenarios[2].choices[0].next = "nowhere";
    expect(parseModule(dangling, "f.json").problems).toEqual([
      { file: "f.json", path: "scenarios[2].choices[0].next", message: 'No scenario "nowhere"' },
    ]);
    expect(parseModule({ ...tiny, startScenario: "q9" }, "f.json").problems).toEqual([
      { file: "f.json", path: "startScenario", message: 'No scenario "q9"' },
    ]);
    const duplicate = structuredClone(tiny);
    duplicate.scenarios.push(structuredClone(duplicate.scenarios[3]));
    expect(parseModule(duplicate, "f.json").problems).toEqual([
      { file: "f.json", path: "scenarios[4].id", message: 'Scenario id "q3" is used twice' },
    ]);
    const reserved = structuredClone(tiny);
    reserved.scenarios[3].id = "passed";
    expect(parseModule(reserved, "f.json").problems.map((p) => p.path)).toContain("scenarios[3].id");
  });

  it("reports a choice that leads back to its own scenario", () => {
    const loop = structuredClone(tiny);
    loop.scenarios[2].choices[1].next = "q2";
    expect(parseModule(loop, "f.json").problems).toEqual([
      {
        file: "f.json",
        path: "scenarios[2].choices[1].next",
        message: "A choice cannot lead back to its own scenario",
      },
    ]);
  });

  it("refuses JSON that is not a module at all", () => {
    for (const json of [null, [], "module", { id: "Not A Slug" }])
      expect(parseModule(json, "f.json").module).toBeNull();
  });
});

describe("checkModule", () => {
  const policy =
    "Test Policy\n\nWorking from [Home](#)\n\n1. Personal use\n\n1.1 Personal use\n\n- Bullet point line\n\nWhat you must do:\n";

  it("reads headings from the policy text, tolerating markdown links but not wrong words or numbers", () => {
    const headings = policyHeadings(policy);
    expect(headings).toContainEqual({ section: null, heading: "Working from Home" });
    expect(headings).toContainEqual({ section: "1.1", heading: "Personal use" });
    expect(hasHeading(headings, "1.1", "Personal use")).toBe(true);
    expect(hasHeading(headings, null, "Working from Home")).toBe(true);
    expect(hasHeading(headings, "1.2", "Personal use")).toBe(false);
    expect(hasHeading(headings, null, "Personal use")).toBe(false);
    expect(hasHeading(headings, "1.1", "Personal usage")).toBe(false);
    expect(hasHeading(headings, null, "Bullet point line")).toBe(false);
    expect(hasHeading(headings, null, "What you must do")).toBe(false);
    expect(
      normaliseHeading("2.6 Covert/Overt Surveillance and the [Regulation of Investigatory Powers Act 2000](#)"),
    ).toBe("2.6 Covert/Overt Surveillance and the Regulation of Investigatory Powers Act 2000");
  });

  it("reports wrong citations, an unreachable scenario, a loop, too few main scenarios and too little branching", () => {
    const bad = structuredClone(module);
    bad.scenarios[0].choices[0].citation = { ...citation, heading: "Not a heading" };
    bad.scenarios[0].choices[1].citation = { ...citation, document: "Another Council: Another Policy" };
    bad.scenarios[0].choices[1].next = "q2"; // q1-follow-up is now unreachable
    for (const c of bad.scenarios[3].choices) c.next = "q2"; // q2 → q3 → q2
    const messages = checkModule(bad, "f.json", policy, "Test Council: Test Policy").map(
      (p) => `${p.path}: ${p.message}`,
    );
    expect(messages).toContain(
      'scenarios[0].choices[0].citation.heading: "1.1 Not a heading" is not a numbered heading of this council\'s policy',
    );
    expect(messages).toContain('scenarios[0].choices[1].citation.document: Must be "Test Council: Test Policy"');
    expect(messages).toContain('scenarios[1]: Scenario "q1-follow-up" cannot be reached from "q1"');
    expect(messages.some((m) => m.startsWith("scenarios: A path loops") && m.includes("q2 → q3 → q2"))).toBe(true);
    expect(messages).toContain("scenarios: Has 3 main scenarios; at least 8 are needed");
    expect(messages).toContain("scenarios: 0 of 3 main scenarios branch; at least a quarter must");
    // The unchanged module has 1 of its 3 main scenarios branching, which is enough.
    expect(
      checkModule(module, "f.json", policy)
        .map((p) => p.message)
        .filter((m) => m.includes("branch")),
    ).toEqual([]);
  });

  it("finds nothing wrong with a sound module", () => {
    const eight = structuredClone(lineModule(8, 0.8));
    eight.scenarios[0].choices[1].next = "s3";
    eight.scenarios[1].choices[1].next = "s4";
    expect(checkModule(eight, "f.json", policy, "Test Council: Test Policy")).toEqual([]);
  });
});
