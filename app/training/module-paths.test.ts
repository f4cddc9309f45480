import { readFileSync } from "node:fs";
import { getShortestPaths, getSimplePaths } from "xstate/graph";
import { describe, expect, it } from "vitest";
import type { TrainingModule } from "./content-schema";
import { loadModules, normaliseHeading, policyHeadings } from "./load-content";
import { answer, createModuleMachine, startAttempt, type AnswerEvent, type PersistedAttempt } from "./machine";

/** Every shipped module, walked with xstate/graph and step by step with the same functions the server uses. */
const { modules, problems } = await loadModules("content");

const EXPECTED = ["hertfordshire/personal-use", "hertfordshire/professional-checks", "hertfordshire/whatsapp", "wirral/personal-use", "wirral/professional-checks"];

function eventsFor(module: TrainingModule) {
  return (state: { value: unknown }): AnswerEvent[] => {
    const scenario = module.scenarios.find((s) => s.id === String(state.value));
    return scenario ? scenario.choices.map((c) => ({ type: "answer.chosen", scenarioId: scenario.id, choiceId: c.id })) : [];
  };
}

function walk(module: TrainingModule, pick: (choices: TrainingModule["scenarios"][number]["choices"]) => string): PersistedAttempt {
  const machine = createModuleMachine(module);
  let snapshot = startAttempt(machine);
  for (let guard = 0; guard < 100 && !["passed", "failed"].includes(snapshot.value); guard++) {
    const scenario = module.scenarios.find((s) => s.id === snapshot.value)!;
    const result = answer(machine, snapshot, { type: "answer.chosen", scenarioId: scenario.id, choiceId: pick(scenario.choices) });
    expect(result.accepted).toBe(true);
    snapshot = result.snapshot;
  }
  return snapshot;
}

describe("the shipped training content", () => {
  it("has no problems", () => {
    expect(problems.map((p) => `${p.file}: ${p.path}: ${p.message}`)).toEqual([]);
  });

  it("gives each council its own modules, and the WhatsApp module only to Hertfordshire", () => {
    expect(modules.map((m) => `${m.organisation}/${m.id}`).sort()).toEqual(EXPECTED);
  });

  for (const module of modules) {
    describe(`${module.organisation}/${module.id}`, () => {
      const machine = createModuleMachine(module);
      const events = eventsFor(module);

      it("reaches every scenario, and both passed and failed", () => {
        const paths = getShortestPaths(machine, {
          events,
          serializeState: (s) => `${String(s.value)}|${s.context.score}|${s.context.answered}`,
        });
        const reached = new Set(paths.map((p) => String(p.state.value)));
        for (const scenario of module.scenarios) expect(reached, scenario.id).toContain(scenario.id);
        expect(reached).toContain("passed");
        expect(reached).toContain("failed");
      });

      it("ends every route through it in passed or failed", () => {
        // One event per distinct next scenario: routes differ by where they go, not by which of two
        // choices leading to the same place was picked (counting those would be 3 to the power of the length).
        const routeEvents = (state: { value: unknown }) => {
          const scenario = module.scenarios.find((s) => s.id === String(state.value));
          const byNext = new Map(scenario?.choices.map((c) => [c.next, c]) ?? []);
          return [...byNext.values()].map((c): AnswerEvent => ({ type: "answer.chosen", scenarioId: scenario!.id, choiceId: c.id }));
        };
        const routes = getSimplePaths(machine, { events: routeEvents, serializeState: (s) => String(s.value) });
        const ends = routes.filter((p) => p.state.status === "done");
        expect(ends.length).toBeGreaterThan(0);
        for (const route of routes) {
          if (route.state.status === "done") expect(["passed", "failed"]).toContain(String(route.state.value));
          else expect(events(route.state).length, `stuck at ${String(route.state.value)}`).toBeGreaterThan(0);
        }
      });

      it("passes the best path with every answer right first time", () => {
        const end = walk(module, (choices) => choices.find((c) => c.correct)!.id);
        expect(end.value).toBe("passed");
        expect(end.context.score).toBe(end.context.answered);
      });

      it("fails a path of wrong answers", () => {
        const end = walk(module, (choices) => (choices.find((c) => !c.correct) ?? choices[0]).id);
        expect(end.value).toBe("failed");
        expect(end.context.score).toBe(0);
      });

      it("explains every choice and cites a heading of this council's own policy", () => {
        const headings = policyHeadings(readFileSync(`content/${module.organisation}/policy.txt`, "utf8"));
        for (const scenario of module.scenarios) {
          for (const choice of scenario.choices) {
            expect(choice.feedback.length, `${scenario.id}/${choice.id}`).toBeGreaterThanOrEqual(20);
            const found = headings.some(
              (h) => h.heading === normaliseHeading(choice.citation.heading) && (choice.citation.section === null || h.section === choice.citation.section),
            );
            expect(found, `${scenario.id}/${choice.id} cites "${choice.citation.heading}"`).toBe(true);
          }
        }
      });

      it("has at least 8 main scenarios of 3 or more choices, a quarter of them branching", () => {
        const main = module.scenarios.filter((s) => s.kind === "main");
        expect(main.length).toBeGreaterThanOrEqual(8);
        for (const s of module.scenarios) expect(s.choices.length).toBeGreaterThanOrEqual(3);
        const branching = main.filter((s) => new Set(s.choices.map((c) => c.next)).size > 1);
        expect(branching.length / main.length).toBeGreaterThanOrEqual(0.25);
      });
    });
  }
});
