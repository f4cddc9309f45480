import { describe, expect, it } from "vitest";
import { aModuleContent } from "../../test/support/factories";
import { parseModule, type TrainingModule } from "./content-schema";
import { checkModule } from "./load-content";
import { answer, createModuleMachine, moduleContentHash, startAttempt } from "./machine";

const module = aModuleContent("hertfordshire") as unknown as TrainingModule;
const machine = createModuleMachine(module);
const chosen = (scenarioId: string, choiceId: string) => ({ type: "answer.chosen" as const, scenarioId, choiceId });

describe("the module machine", () => {
  it("starts at the module's first scenario with nothing scored", () => {
    expect(startAttempt(machine)).toEqual({ value: "q1", context: { score: 0, answered: 0, path: [] } });
  });

  it("changes nothing for an answer to another question or an unknown choice", () => {
    const start = startAttempt(machine);
    expect(answer(machine, start, chosen("q2", "a"))).toEqual({ accepted: false, snapshot: start });
    expect(answer(machine, start, chosen("q1", "zzz"))).toEqual({ accepted: false, snapshot: start });
  });

  it("branches on the choice made and counts only answers right first time", () => {
    let s = startAttempt(machine);
    s = answer(machine, s, chosen("q1", "b")).snapshot;
    expect(s.value).toBe("q1-follow-up");
    s = answer(machine, s, chosen("q1-follow-up", "a")).snapshot;
    expect(s).toMatchObject({ value: "q2", context: { score: 1, answered: 2 } });
  });

  it("passes at exactly the pass mark and fails just below it", () => {
    const fiveQuestions = {
      ...module,
      startScenario: "s1",
      scenarios: [1, 2, 3, 4, 5].map((n) => ({
        ...module.scenarios[2],
        id: `s${n}`,
        choices: module.scenarios[2].choices.map((c) => ({ ...c, next: n === 5 ? "end" : `s${n + 1}` })),
      })),
    } as TrainingModule;
    const m = createModuleMachine(fiveQuestions);
    const run = (wrong: number) => {
      let s = startAttempt(m);
      for (let n = 1; n <= 5; n++) s = answer(m, s, chosen(`s${n}`, n <= wrong ? "b" : "a")).snapshot;
      return s.value;
    };
    expect(run(1)).toBe("passed"); // 4 of 5 = 80 %
    expect(run(2)).toBe("failed"); // 3 of 5 = 60 %
  });

  it("refuses any answer once the attempt has ended", () => {
    let s = startAttempt(machine);
    for (const id of ["q1", "q2", "q3"]) s = answer(machine, s, chosen(id, "a")).snapshot;
    expect(s.value).toBe("passed");
    expect(answer(machine, s, chosen("q3", "a")).accepted).toBe(false);
  });
});

describe("content hashes and checks", () => {
  it("identifies a version by its content, not its key order or formatting", () => {
    const reordered = Object.fromEntries(Object.entries(module).reverse()) as TrainingModule;
    expect(moduleContentHash(reordered)).toBe(moduleContentHash(module));
    expect(moduleContentHash({ ...module, title: "Changed" })).not.toBe(moduleContentHash(module));
  });

  it("reports schema problems with their JSON path", () => {
    const broken = { ...module, scenarios: [{ ...module.scenarios[0], choices: [module.scenarios[0].choices[0]] }] };
    const result = parseModule(broken, "content/x/modules/test.json");
    expect(result.module).toBeNull();
    expect(result.problems).toContainEqual({ file: "content/x/modules/test.json", path: "scenarios[0].choices", message: "A scenario needs at least 3 choices" });
  });

  it("reports a citation that is not a heading of the council's policy, a dangling next, and too few scenarios", () => {
    const bad = {
      ...module,
      scenarios: module.scenarios.map((s, i) =>
        i === 0 ? { ...s, choices: [{ ...s.choices[0], next: "nowhere", citation: { ...s.choices[0].citation, heading: "Not a heading" } }, ...s.choices.slice(1)] } : s,
      ),
    } as TrainingModule;
    const messages = checkModule(bad, "f.json", "1.1 Personal use\n").map((p) => `${p.path}: ${p.message}`);
    expect(messages).toContain('scenarios[0].choices[0].next: No scenario "nowhere"');
    expect(messages.some((m) => m.startsWith("scenarios[0].choices[0].citation.heading:"))).toBe(true);
    expect(messages.some((m) => /main scenarios; at least 8/.test(m))).toBe(true);
  });
});
