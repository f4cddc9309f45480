import { readFileSync } from "node:fs";
import { getAdjacencyMap, getShortestPaths } from "xstate/graph";
import { describe, expect, it } from "vitest";
import type { Choice, TrainingModule } from "./content-schema";
import {
  citationDocument,
  hasHeading,
  loadModules,
  MIN_BRANCHING_SHARE,
  MIN_MAIN_SCENARIOS,
  policyHeadings,
} from "./load-content";
import {
  answer,
  createModuleMachine,
  startAttempt,
  type AnswerEvent,
  type PersistedAttempt,
  type QuizContext,
} from "./machine";

/**
 * The shipped modules, walked with xstate/graph. Nodes are keyed by state value, score and questions
 * answered, so routes that reach the same scenario with different scores stay apart. A module of ten
 * three-way questions has 3^10 routes, too many to list one by one (getSimplePaths runs out of memory),
 * so every route is covered through the adjacency map instead: every node either is a result or takes
 * every choice, and every answer adds one question, so no route can loop and every route ends.
 */
const { modules, problems } = await loadModules("content");

const EXPECTED = [
  "hertfordshire/personal-use",
  "hertfordshire/professional-checks",
  "hertfordshire/whatsapp",
  "wirral/personal-use",
  "wirral/professional-checks",
];

type Snapshot = { value: unknown; status: string; context: QuizContext };
const key = (s: Snapshot) => `${String(s.value)}|${s.context.score}|${s.context.answered}`;
const persisted = (s: Snapshot): PersistedAttempt => ({ value: String(s.value), context: s.context });
/** xstate/graph types events as the machine's events or its internal route event; only answers are sent here. */
const isAnswer = (e: { type: string }): e is AnswerEvent => e.type === "answer.chosen";

function eventsFor(module: TrainingModule) {
  return (state: Snapshot): AnswerEvent[] => {
    const scenario = module.scenarios.find((s) => s.id === String(state.value));
    return scenario
      ? scenario.choices.map((c) => ({ type: "answer.chosen", scenarioId: scenario.id, choiceId: c.id }))
      : [];
  };
}

function walk(module: TrainingModule, pick: (choices: Choice[]) => Choice): PersistedAttempt {
  const machine = createModuleMachine(module);
  let snapshot = startAttempt(machine);
  for (let step = 0; step <= module.scenarios.length && !["passed", "failed"].includes(snapshot.value); step++) {
    const scenario = module.scenarios.find((s) => s.id === snapshot.value);
    if (!scenario) throw new Error(`No scenario ${snapshot.value}`);
    const result = answer(machine, snapshot, {
      type: "answer.chosen",
      scenarioId: scenario.id,
      choiceId: pick(scenario.choices).id,
    });
    expect(result.accepted).toBe(true);
    snapshot = result.snapshot;
  }
  return snapshot;
}

/** Every piece of text a learner reads in a module. */
function textsOf(module: TrainingModule): string[] {
  return [
    module.title,
    module.summary,
    ...module.scenarios.flatMap((s) => [
      s.title,
      s.situation,
      s.question,
      ...s.choices.flatMap((c) => [c.text, c.feedback]),
    ]),
  ];
}

const policies = new Map(
  ["hertfordshire", "wirral"].map((org) => {
    const text = readFileSync(`content/${org}/policy.txt`, "utf8");
    const name = (JSON.parse(readFileSync(`content/${org}/organisation.json`, "utf8")) as { name: string }).name;
    return [org, { text, headings: policyHeadings(text), document: citationDocument(name, text) }];
  }),
);

describe("the shipped training content", () => {
  it("loads with no problems", () => {
    expect(problems.map((p) => `${p.file}: ${p.path}: ${p.message}`)).toEqual([]);
  });

  it("gives each council its own modules, and the WhatsApp module only to Hertfordshire", () => {
    expect(modules.map((m) => `${m.organisation}/${m.id}`).sort()).toEqual(EXPECTED);
  });

  it("cites each council's policy by its own title", () => {
    expect(policies.get("hertfordshire")?.document).toBe("Hertfordshire County Council: Social Media Policy");
    expect(policies.get("wirral")?.document).toBe(
      "Wirral Council: Use of Internet and Social Media Sites by Social Care and Safeguarding Staff",
    );
  });

  for (const module of modules) {
    describe(`${module.organisation}/${module.id}`, () => {
      const machine = createModuleMachine(module);
      const events = eventsFor(module);
      const policy = policies.get(module.organisation)!;
      const byId = new Map(module.scenarios.map((s) => [s.id, s]));

      it("reaches every scenario, and both passed and failed (getShortestPaths)", () => {
        const paths = getShortestPaths(machine, { events, serializeState: key });
        const reached = new Set(paths.map((p) => String(p.state.value)));
        for (const scenario of module.scenarios) expect(reached, scenario.id).toContain(scenario.id);
        expect(reached).toContain("passed");
        expect(reached).toContain("failed");
        expect(reached).not.toContain("deciding");
        // Each shortest path, replayed through the server's step function, lands where the graph says.
        for (const path of paths) {
          let snapshot = startAttempt(machine);
          for (const event of path.steps.map((s) => s.event).filter(isAnswer)) {
            const result = answer(machine, snapshot, event);
            expect(result.accepted).toBe(true);
            snapshot = result.snapshot;
          }
          expect(key({ ...snapshot, status: "" })).toBe(key(path.state));
        }
      });

      it("ends every route in passed or failed, and takes every choice on the way (getAdjacencyMap)", () => {
        const map = getAdjacencyMap(machine, { events, serializeState: key });
        const nodes = Object.values(map);
        expect(nodes.length).toBeGreaterThan(module.scenarios.length);
        const routes = new Map<string, { all: number; passed: number }>();
        const count = (k: string): { all: number; passed: number } => {
          const known = routes.get(k);
          if (known) return known;
          const node = map[k as keyof typeof map];
          let result: { all: number; passed: number };
          if (node.state.status === "done") {
            expect(["passed", "failed"], k).toContain(String(node.state.value));
            expect(Object.keys(node.transitions), k).toEqual([]);
            result = { all: 1, passed: node.state.value === "passed" ? 1 : 0 };
          } else {
            const scenario = byId.get(String(node.state.value));
            expect(scenario, `stuck at ${k}`).toBeDefined();
            const taken = Object.values(node.transitions).map((t) => ({
              state: t.state,
              event: t.event as AnswerEvent,
            }));
            expect(
              taken.every((t) => isAnswer(t.event)),
              k,
            ).toBe(true);
            expect(taken.map((t) => t.event.choiceId).sort(), k).toEqual(scenario!.choices.map((c) => c.id).sort());
            result = { all: 0, passed: 0 };
            for (const t of taken) {
              // Every answer counts one more question, so no route can come back to a node: no loops.
              expect(t.state.context.answered).toBe(node.state.context.answered + 1);
              // And the server's step function agrees with the graph on every edge.
              const stepped = answer(machine, persisted(node.state), t.event);
              expect(stepped.accepted).toBe(true);
              expect(key({ ...stepped.snapshot, status: "" })).toBe(key(t.state));
              const below = count(key(t.state));
              result = { all: result.all + below.all, passed: result.passed + below.passed };
            }
          }
          routes.set(k, result);
          return result;
        };
        const start = nodes.find((n) => n.state.context.answered === 0)!;
        expect(String(start.state.value)).toBe(module.startScenario);
        const total = count(key(start.state));
        const choices = module.scenarios.reduce((n, s) => n + s.choices.length, 0);
        expect(total.all).toBeGreaterThan(choices); // far more complete routes than single choices
        expect(total.passed).toBeGreaterThan(0);
        expect(total.passed).toBeLessThan(total.all);
      });

      it("passes the path of best answers", () => {
        const end = walk(module, (choices) => choices.find((c) => c.correct)!);
        expect(end.value).toBe("passed");
        expect(end.context.score).toBe(end.context.answered);
        expect(end.context.answered).toBe(module.scenarios.filter((s) => s.kind === "main").length);
      });

      it("fails a path of wrong answers, whichever wrong answer is picked", () => {
        for (const which of [0, 1]) {
          const end = walk(
            module,
            (choices) => choices.filter((c) => !c.correct)[which] ?? choices.find((c) => !c.correct)!,
          );
          expect(end.value).toBe("failed");
          expect(end.context.score).toBe(0);
        }
      });

      it("fails a learner who misses three main questions but gets everything else right", () => {
        let missed = 0;
        const end = walk(module, (choices) => {
          const main = module.scenarios.find((s) => s.choices === choices)!.kind === "main";
          if (main && missed < 3) {
            missed++;
            return choices.find((c) => !c.correct)!;
          }
          return choices.find((c) => c.correct)!;
        });
        expect(end.value).toBe("failed");
      });

      it("has enough main scenarios, each with 3 or more choices and exactly one best answer, and branches", () => {
        const main = module.scenarios.filter((s) => s.kind === "main");
        expect(main.length).toBeGreaterThanOrEqual(MIN_MAIN_SCENARIOS);
        for (const s of module.scenarios) {
          expect(s.choices.length, s.id).toBeGreaterThanOrEqual(3);
          expect(s.choices.filter((c) => c.correct).length, s.id).toBe(1);
        }
        const branching = main.filter((s) => new Set(s.choices.map((c) => c.next)).size > 1);
        expect(branching.length / main.length).toBeGreaterThanOrEqual(MIN_BRANCHING_SHARE);
      });

      it("sends only wrong answers to follow-ups, and reaches each follow-up from some choices only", () => {
        for (const s of module.scenarios) {
          for (const c of s.choices) {
            const next = byId.get(c.next);
            if (next?.kind === "follow-up") expect(c.correct, `${s.id}/${c.id} → ${c.next}`).toBe(false);
          }
        }
        for (const f of module.scenarios.filter((s) => s.kind === "follow-up")) {
          const from = module.scenarios.filter((s) => s.choices.some((c) => c.next === f.id));
          expect(from.length, f.id).toBeGreaterThan(0);
          for (const s of from)
            expect(
              s.choices.some((c) => c.next !== f.id),
              `${s.id} always leads to ${f.id}`,
            ).toBe(true);
        }
      });

      it("explains every choice and cites a real heading of this council's own policy", () => {
        for (const s of module.scenarios) {
          for (const c of s.choices) {
            const at = `${s.id}/${c.id}`;
            expect(c.feedback.split(/\s+/).length, at).toBeGreaterThanOrEqual(8);
            expect(
              c.feedback.replace(/^Right\. /, "").match(/[.!?](\s|$)/g)?.length ?? 0,
              `${at} feedback should be 1 to 3 sentences`,
            ).toBeLessThanOrEqual(3);
            expect(c.citation.document, at).toBe(policy.document);
            expect(
              hasHeading(policy.headings, c.citation.section, c.citation.heading),
              `${at} cites ${c.citation.section} ${c.citation.heading}`,
            ).toBe(true);
            if (c.correct) expect(c.feedback, at).toMatch(/^Right\./);
            else expect(c.feedback, at).not.toMatch(/^Right\./);
          }
        }
      });

      it("refers only to section numbers and e-mail addresses this council's policy has", () => {
        const sections = new Set(policy.headings.filter((h) => h.section).map((h) => h.section));
        for (const text of textsOf(module)) {
          for (const m of text.matchAll(/\bsections? (\d+(?:\.\d+)*)/gi)) {
            if (/ICT Acceptable Use Policy, especially its Section 2/.test(text) && m[1] === "2") continue; // that policy's own section 2, named in HCC 3.1
            expect(sections, `"${m[0]}" in: ${text}`).toContain(m[1]);
          }
          for (const m of text.matchAll(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g)) expect(policy.text, m[0]).toContain(m[0]);
        }
      });

      it("uses no term that only the other council's policy has", () => {
        const terms = [
          "magistrate",
          "Protection of Freedoms Act",
          "Yammer",
          "WhatsApp",
          "HCPC",
          "LCS",
          "WMBC",
          "intranet",
          "champion",
          "Human Rights Act",
          "Standard 3.10",
          "Standard 5.6",
          "Public Task",
          "Child G",
          "Re T",
        ];
        const all = textsOf(module).join("\n").toLowerCase();
        for (const term of terms) {
          if (all.includes(term.toLowerCase()))
            expect(policy.text.toLowerCase(), `"${term}" is not in ${module.organisation}'s policy`).toContain(
              term.toLowerCase(),
            );
        }
      });
    });
  }
});

describe("what each council's set teaches", () => {
  const find = (id: string) => modules.find((m) => `${m.organisation}/${m.id}` === id)!;
  const correctText = (m: TrainingModule) =>
    m.scenarios.flatMap((s) => s.choices.filter((c) => c.correct).map((c) => `${c.text} ${c.feedback}`)).join("\n");

  it("teaches Hertfordshire that covert repeat viewing needs a magistrate's warrant, and that for child welfare only a court can authorise it", () => {
    const text = correctText(find("hertfordshire/professional-checks"));
    expect(text).toMatch(/warrant from a magistrate/);
    expect(text).toMatch(/Protection of Freedoms Act 2012/);
    expect(text).toMatch(/child welfare[^.]*only be authorised by a court/);
    expect(text).toMatch(/clear court direction/);
  });

  it("teaches Wirral its local RIPA support and champions without adding contact details", () => {
    const m = find("wirral/professional-checks");
    const text = correctText(m);
    expect(text).toMatch(/intranet/);
    expect(text).toMatch(/champion/);
    expect(m.scenarios.some((s) => s.choices.some((c) => c.correct && c.citation.section === "5"))).toBe(true);
    expect(textsOf(m).join("\n")).not.toMatch(/@|https?:|www\.|\b0\d{3,4}\s?\d{3}/);
  });

  it("does not treat the time-boundary exceptions Hertfordshire recognises as breaches", () => {
    const m = find("hertfordshire/whatsapp");
    for (const s of m.scenarios)
      for (const c of s.choices) if (/\bbreach/i.test(c.text)) expect(c.correct, `${s.id}/${c.id}`).toBe(false);
    const evening = m.scenarios.find((s) => s.id === "early-evening-message")!;
    expect(evening.situation).toMatch(/6\.15pm/);
    expect(evening.choices.find((c) => c.correct)?.text).toMatch(/can send it/i);
    const residential = m.scenarios.find((s) => s.id === "residential-weekend")!;
    expect(residential.situation).toMatch(/line manager has agreed/);
    expect(residential.choices.find((c) => c.correct)?.text).toMatch(
      /allows some weekend exceptions within residential care/,
    );
  });

  it("teaches the WhatsApp consent steps: written consent, the Privacy Notice, LCS and the standard message", () => {
    const text = correctText(find("hertfordshire/whatsapp"));
    for (const phrase of [
      /written consent/,
      /Privacy Notice/,
      /case record on LCS/,
      /standard opening message/,
      /8\.30am and 5\.30pm/,
      /driving/,
      /Wi-Fi/,
    ])
      expect(text).toMatch(phrase);
  });
});
