import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseModule, type TrainingModule } from "./content-schema";
import { choiceOrder, drawVariants, newAttemptInput } from "./draw";
import { checkModule, hasHeading, normaliseHeading, policyHeadings } from "./load-content";
import {
  answer,
  createModuleMachine,
  fitsModule,
  moduleContentHash,
  reachesPassMark,
  startAttempt,
  type AttemptInput,
  type PersistedAttempt,
} from "./machine";

/**
 * A tiny module: three slots of two variants (p-1, p-2; q-1, q-2; r-1, r-2). Each variant's right choice is "a";
 * choice "b" of p-1 leads to a follow-up (p-1-why) whose right choice is "b".
 */
const citation = { document: "Test Council: Test Policy", section: "1.1", heading: "Personal use" };
const choice = (id: string, correct: boolean, extra: Record<string, unknown> = {}) => ({
  id,
  text: `Answer ${id}`,
  correct,
  feedback: `Because answer ${id} is what the policy says.`,
  citation,
  ...extra,
});
const followUp = {
  id: "p-1-why",
  title: "Why",
  situation: "Think again.",
  question: "And now?",
  choices: [choice("a", false), choice("b", true), choice("c", false)],
};
const variant = (id: string, withFollowUp = false) => ({
  id,
  title: `Title ${id}`,
  situation: "A situation.\n\nMore of it.",
  question: `What in ${id}?`,
  choices: [choice("a", true), choice("b", false, withFollowUp ? { followUp } : {}), choice("c", false)],
});
const tiny = {
  formatVersion: 2,
  id: "tiny-module",
  organisation: "wirral",
  title: "Tiny module",
  summary: "A module for unit tests.",
  passMark: 0.6,
  slots: [
    { id: "p", learningPoint: "Rule p.", variants: [variant("p-1", true), variant("p-2")] },
    { id: "q", learningPoint: "Rule q.", variants: [variant("q-1"), variant("q-2")] },
    { id: "r", learningPoint: "Rule r.", variants: [variant("r-1"), variant("r-2")] },
  ],
};
const parsed = parseModule(tiny, "tiny.json");
if (!parsed.module) throw new Error(`The tiny module should parse: ${JSON.stringify(parsed.problems)}`);
const module: TrainingModule = parsed.module;
const machine = createModuleMachine(module);
const chosen = (scenarioId: string, choiceId: string) => ({ type: "answer.chosen" as const, scenarioId, choiceId });
const input = (draw: Record<string, string>): AttemptInput => ({
  draw,
  order: choiceOrder(module, draw, () => 0, false),
});
const firsts = input({ p: "p-1", q: "q-1", r: "r-1" });
const seconds = input({ p: "p-2", q: "q-2", r: "r-2" });

function play(attempt: AttemptInput, steps: [string, string][]): PersistedAttempt {
  let s = startAttempt(machine, attempt);
  for (const [scenarioId, choiceId] of steps) {
    const result = answer(machine, s, chosen(scenarioId, choiceId));
    expect(result.accepted, `${scenarioId}/${choiceId} at ${s.value}`).toBe(true);
    s = result.snapshot;
  }
  return s;
}

describe("the module machine", () => {
  it("starts at the first slot's drawn variant with nothing scored", () => {
    expect(startAttempt(machine, firsts)).toMatchObject({ value: "p-1", context: { score: 0, answered: 0, path: [] } });
    expect(startAttempt(machine, seconds).value).toBe("p-2");
    expect(startAttempt(machine, seconds).context.draw).toEqual(seconds.draw);
  });

  it("asks each slot's drawn variant in order", () => {
    const s = play(seconds, [
      ["p-2", "a"],
      ["q-2", "a"],
    ]);
    expect(s.value).toBe("r-2");
  });

  it("changes nothing for an answer to another question, an undrawn variant, an unknown choice or after the end", () => {
    const s = startAttempt(machine, firsts);
    for (const event of [chosen("q-1", "a"), chosen("p-2", "a"), chosen("p-1", "zzz")]) {
      expect(answer(machine, s, event)).toEqual({ accepted: false, snapshot: s });
    }
    const done = play(firsts, [
      ["p-1", "a"],
      ["q-1", "a"],
      ["r-1", "a"],
    ]);
    expect(answer(machine, done, chosen("r-1", "a"))).toEqual({ accepted: false, snapshot: done });
  });

  it("refuses a stored snapshot that is not one of the module's question states", () => {
    const ctx = startAttempt(machine, firsts).context;
    for (const value of ["nowhere", "deciding", "slot:p", "passed"])
      expect(answer(machine, { value, context: ctx }, chosen("p-1", "a")).accepted).toBe(false);
  });

  it("asks a main choice's follow-up next, records it on the path and does not score it", () => {
    const s = play(firsts, [
      ["p-1", "b"],
      ["p-1-why", "b"],
    ]);
    expect(s.value).toBe("q-1");
    expect(s.context).toMatchObject({ score: 0, answered: 1 });
    expect(s.context.path).toEqual([
      { scenarioId: "p-1", choiceId: "b", correct: false, main: true },
      { scenarioId: "p-1-why", choiceId: "b", correct: true, main: false },
    ]);
  });

  it("scores right main answers at every step, and decides the pass by right mains over the number of slots", () => {
    const all = play(firsts, [
      ["p-1", "b"],
      ["p-1-why", "b"],
      ["q-1", "a"],
      ["r-1", "a"],
    ]);
    expect(all).toMatchObject({ value: "passed", context: { score: 2, answered: 3 } });
    const one = play(firsts, [
      ["p-1", "b"],
      ["p-1-why", "b"],
      ["q-1", "c"],
      ["r-1", "a"],
    ]);
    expect(one).toMatchObject({ value: "failed", context: { score: 1, answered: 3 } });
  });

  it("passes at exactly the pass mark and fails just below it", () => {
    expect(reachesPassMark(4, 5, 0.8)).toBe(true);
    expect(reachesPassMark(7, 10, 0.7)).toBe(true);
    expect(reachesPassMark(3, 5, 0.8)).toBe(false);
    expect(reachesPassMark(0, 0, 0)).toBe(false);
  });

  it("restores a snapshot that went through JSON, as the server stores it", () => {
    const s = JSON.parse(JSON.stringify(play(seconds, [["p-2", "a"]]))) as PersistedAttempt;
    expect(answer(machine, s, chosen("q-2", "a")).snapshot.value).toBe("r-2");
  });

  it("checks that an input fits the module", () => {
    expect(fitsModule(module, firsts)).toBe(true);
    expect(fitsModule(module, { ...firsts, draw: { ...firsts.draw, q: "p-2" } })).toBe(false);
    expect(fitsModule(module, { ...firsts, order: { ...firsts.order, "p-1": ["a", "b"] } })).toBe(false);
    expect(fitsModule(module, { ...firsts, order: { ...firsts.order, "p-1-why": undefined as never } })).toBe(false);
  });
});

describe("draws and choice orders", () => {
  it("draws unseen variants first, then the one seen longest ago", () => {
    const pickFirst = () => 0;
    expect(drawVariants(module, [{ p: "p-1", q: "q-2", r: "r-1" }], pickFirst)).toEqual({
      p: "p-2",
      q: "q-1",
      r: "r-2",
    });
    expect(
      drawVariants(
        module,
        [
          { p: "p-2", q: "q-1", r: "r-1" },
          { p: "p-1", q: "q-1", r: "r-2" },
        ],
        pickFirst,
      ),
    ).toEqual({ p: "p-2", q: "q-2", r: "r-1" });
    // A slot's id missing from earlier draws (a slot new in this version) counts as unseen.
    expect(drawVariants(module, [{ p: "p-1" }], (n) => n - 1)).toEqual({ p: "p-2", q: "q-2", r: "r-2" });
  });

  it("shuffles each drawn question's choices, follow-ups included, and keeps them all", () => {
    const { draw, order } = newAttemptInput(module, []);
    expect(fitsModule(module, { draw, order })).toBe(true);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(newAttemptInput(module, []).order[draw.q]?.join("") ?? "");
    seen.delete("");
    expect(seen.size).toBe(6);
    expect(choiceOrder(module, firsts.draw, () => 0, false)).toEqual({
      "p-1": ["a", "b", "c"],
      "p-1-why": ["a", "b", "c"],
      "q-1": ["a", "b", "c"],
      "r-1": ["a", "b", "c"],
    });
  });
});

describe("content hashes", () => {
  it("is a sha256 hex digest of the sorted-key JSON, ignoring key order and formatting", () => {
    const hash = moduleContentHash(module);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const reordered = JSON.parse(
      JSON.stringify(Object.fromEntries(Object.entries(module).reverse()), null, 4),
    ) as TrainingModule;
    expect(moduleContentHash(reordered)).toBe(hash);
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
    ).toBe(hash);
  });

  it("changes when any content changes, including a feedback word, the order of choices or requiresRetake", () => {
    const hash = moduleContentHash(module);
    expect(moduleContentHash({ ...module, title: "Changed" })).not.toBe(hash);
    expect(moduleContentHash({ ...module, requiresRetake: true })).not.toBe(hash);
    const feedbackEdited = structuredClone(module);
    feedbackEdited.slots[2].variants[1].choices[1].feedback += " Also.";
    expect(moduleContentHash(feedbackEdited)).not.toBe(hash);
    const reorderedChoices = structuredClone(module);
    reorderedChoices.slots[0].variants[0].choices.reverse();
    expect(moduleContentHash(reorderedChoices)).not.toBe(hash);
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
    // Through JSON, as a file would be: the tiny module shares one citation object between its choices.
    const broken = JSON.parse(JSON.stringify(tiny)) as {
      slots: { variants: { choices: { citation: Record<string, unknown> }[] }[] }[];
    };
    delete broken.slots[2].variants[1].choices[1].citation.heading;
    expect(parseModule(broken, "content/wirral/modules/personal-use.json")).toEqual({
      module: null,
      problems: [
        {
          file: "content/wirral/modules/personal-use.json",
          path: "slots[2].variants[1].choices[1].citation.heading",
          message: "Required",
        },
      ],
    });
  });

  it("requires format 2, exactly one right main choice, 3 or 4 choices, 2 variants a slot and known keys", () => {
    const broken = structuredClone(tiny) as Record<string, unknown> & typeof tiny;
    broken.formatVersion = 1;
    broken.organisation = "Kent County"; // any council's slug is allowed; this is not a slug
    broken.slots[0].variants[1].choices = broken.slots[0].variants[1].choices.slice(0, 2);
    broken.slots[1].variants[0].choices[1].correct = true;
    broken.slots[1].variants[1].choices.push(choice("d", false), choice("e", false));
    broken.slots[2].variants[1].choices[2].id = "a";
    broken.slots[2].variants = broken.slots[2].variants.slice(0, 1);
    (broken.slots[1] as Record<string, unknown>).notes = "left in by mistake";
    const result = parseModule(broken, "f.json");
    expect(result.module).toBeNull();
    const found = result.problems.map((p) => `${p.path}: ${p.message}`);
    expect(found.some((f) => f.startsWith("formatVersion: "))).toBe(true);
    expect(found.some((f) => f.startsWith("organisation: "))).toBe(true);
    expect(found).toContain("slots[0].variants[1].choices: A main question needs 3 or 4 choices");
    expect(found).toContain("slots[1].variants[0].choices: Needs exactly one correct choice (has 2)");
    expect(found).toContain("slots[1].variants[1].choices: A main question needs 3 or 4 choices");
    expect(found).toContain("slots[2].variants: A slot needs at least 2 variants");
    expect(found.some((f) => f.startsWith("slots[1]: ") && f.includes("notes"))).toBe(true);
    const duplicate = structuredClone(tiny);
    duplicate.slots[2].variants[1].choices[2].id = "a";
    expect(parseModule(duplicate, "f.json").problems.map((p) => `${p.path}: ${p.message}`)).toContain(
      'slots[2].variants[1].choices[2].id: Choice id "a" is used twice',
    );
  });

  it("allows follow-ups only on main choices, and ids unique across the module", () => {
    const nested = structuredClone(tiny) as unknown as {
      slots: { variants: { choices: Record<string, unknown>[] }[] }[];
    };
    const f = nested.slots[0].variants[0].choices[1].followUp as { choices: Record<string, unknown>[] };
    f.choices[0].followUp = structuredClone(followUp);
    expect(parseModule(nested, "f.json").problems.map((p) => p.path)).toContain(
      "slots[0].variants[0].choices[1].followUp.choices[0]",
    );
    const twice = structuredClone(tiny);
    twice.slots[1].variants[1].id = "p-1-why";
    expect(parseModule(twice, "f.json").problems).toEqual([
      { file: "f.json", path: "slots[1].variants[1].id", message: 'Question id "p-1-why" is used twice in the module' },
    ]);
    const slotTwice = structuredClone(tiny);
    slotTwice.slots[2].id = "p";
    expect(parseModule(slotTwice, "f.json").problems.map((p) => p.message)).toEqual(['Slot id "p" is used twice']);
    const reserved = structuredClone(tiny);
    reserved.slots[2].variants[0].id = "passed";
    expect(parseModule(reserved, "f.json").problems.map((p) => p.path)).toContain("slots[2].variants[0].id");
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

  it("reports wrong citations, in follow-ups too, and too few slots", () => {
    const bad = structuredClone(module);
    bad.slots[0].variants[0].choices[0].citation = { ...citation, heading: "Not a heading" };
    bad.slots[0].variants[0].choices[1].followUp!.choices[2].citation = {
      ...citation,
      document: "Another Council: Another Policy",
    };
    bad.slots = bad.slots.slice(0, 2);
    const messages = checkModule(bad, "f.json", policy, "Test Council: Test Policy").map(
      (p) => `${p.path}: ${p.message}`,
    );
    expect(messages).toEqual([
      "slots: Has 2 slots; at least 3 are needed",
      'slots[0].variants[0].choices[0].citation.heading: "1.1 Not a heading" is not a numbered heading of this council\'s policy',
      'slots[0].variants[0].choices[1].followUp.choices[2].citation.document: Must be "Test Council: Test Policy"',
    ]);
  });

  it("finds nothing wrong with a sound module", () => {
    expect(checkModule(module, "f.json", policy, "Test Council: Test Policy")).toEqual([]);
  });
});
