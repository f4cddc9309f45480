import { readFileSync } from "node:fs";
import { getAdjacencyMap, getShortestPaths } from "xstate/graph";
import { describe, expect, it } from "vitest";
import { questionsOf, type TrainingModule } from "./content-schema";
import { measureModule } from "./content-measures";
import { choiceOrder } from "./draw";
import { choicesWithPaths, citationDocument, hasHeading, loadModules, policyHeadings } from "./load-content";
import {
  answer,
  createModuleMachine,
  reachesPassMark,
  startAttempt,
  type AnswerEvent,
  type AttemptInput,
  type PersistedAttempt,
  type QuizContext,
} from "./machine";

/**
 * The shipped modules (they read the real files under content/), walked with xstate/graph. A draw is the
 * machine's input, so each module is walked under enough draws that every variant is asked: draw i takes each
 * slot's variant i (or its last). Nodes are keyed by state value, score and main questions answered, so routes
 * that reach a question with different scores stay apart.
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

/** Draws that between them ask every variant of every slot (unshuffled: the machine does not read the order). */
function coveringDraws(module: TrainingModule): AttemptInput[] {
  const most = Math.max(...module.slots.map((s) => s.variants.length));
  return Array.from({ length: most }, (_, i) => {
    const draw = Object.fromEntries(module.slots.map((s) => [s.id, s.variants[Math.min(i, s.variants.length - 1)].id]));
    return { draw, order: choiceOrder(module, draw, () => 0, false) };
  });
}

/** Walks one attempt, choosing at each question with `pick` (given the question and whether it is main). */
function walk(
  module: TrainingModule,
  input: AttemptInput,
  pick: (choices: { id: string; correct: boolean }[], main: boolean) => string,
): PersistedAttempt {
  const machine = createModuleMachine(module);
  const questions = questionsOf(module);
  let snapshot = startAttempt(machine, input);
  for (let step = 0; step < 3 * module.slots.length && !["passed", "failed"].includes(snapshot.value); step++) {
    const question = questions.get(snapshot.value);
    if (!question) throw new Error(`No question ${snapshot.value}`);
    const result = answer(machine, snapshot, {
      type: "answer.chosen",
      scenarioId: question.scenario.id,
      choiceId: pick(question.scenario.choices, question.kind === "main"),
    });
    expect(result.accepted).toBe(true);
    snapshot = result.snapshot;
  }
  return snapshot;
}

const policies = new Map(
  ["hertfordshire", "wirral"].map((org) => {
    const text = readFileSync(`content/${org}/policy.txt`, "utf8");
    const name = (JSON.parse(readFileSync(`content/${org}/organisation.json`, "utf8")) as { name: string }).name;
    return [org, { text, headings: policyHeadings(text), document: citationDocument(name, text) }];
  }),
);

/** Every piece of text a learner reads in a module. */
function textsOf(module: TrainingModule): string[] {
  const texts = [module.title, module.summary];
  for (const question of questionsOf(module).values()) {
    const s = question.scenario;
    texts.push(s.title, s.situation, s.question, ...s.choices.flatMap((c) => [c.text, c.feedback]));
  }
  return texts;
}

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
      const questions = questionsOf(module);
      const policy = policies.get(module.organisation)!;
      const draws = coveringDraws(module);
      const events = (state: Snapshot): AnswerEvent[] => {
        const question = questions.get(String(state.value));
        return question
          ? question.scenario.choices.map((c) => ({
              type: "answer.chosen",
              scenarioId: question.scenario.id,
              choiceId: c.id,
            }))
          : [];
      };
      const needed = Array.from({ length: module.slots.length + 1 }, (_, n) => n).find((n) =>
        reachesPassMark(n, module.slots.length, module.passMark),
      )!;

      it("passes npm run content:check's measures (cues and sentence lengths)", () => {
        expect(measureModule(module).problems).toEqual([]);
      });

      it("asks every variant and every follow-up on some tested path, and reaches passed and failed (getShortestPaths)", () => {
        const reached = new Set<string>();
        for (const input of draws) {
          const paths = getShortestPaths(machine, { events, input, serializeState: key });
          for (const path of paths) {
            reached.add(String(path.state.value));
            // Each shortest path, replayed through the server's step function, lands where the graph says.
            let snapshot = startAttempt(machine, input);
            for (const event of path.steps.map((s) => s.event).filter(isAnswer)) {
              const result = answer(machine, snapshot, event);
              expect(result.accepted).toBe(true);
              snapshot = result.snapshot;
            }
            expect(key({ ...snapshot, status: "" })).toBe(key(path.state));
          }
        }
        for (const id of questions.keys()) expect(reached, id).toContain(id);
        expect(reached).toContain("passed");
        expect(reached).toContain("failed");
        for (const value of reached) expect(value.startsWith("slot:") || value === "deciding", value).toBe(false);
      });

      it("keeps score = main questions right so far on every edge, and ends every route (getAdjacencyMap)", () => {
        for (const input of draws) {
          const map = getAdjacencyMap(machine, { events, input, serializeState: key });
          for (const k of Object.keys(map)) {
            const node = map[k as keyof typeof map];
            const { context } = node.state;
            // The rule at every slot: score is the main answers right so far, answered the main answers so far.
            expect(context.score, k).toBe(context.path.filter((p) => p.main && p.correct).length);
            expect(context.answered, k).toBe(context.path.filter((p) => p.main).length);
            if (node.state.status === "done") {
              expect(["passed", "failed"], k).toContain(String(node.state.value));
              expect(context.answered, k).toBe(module.slots.length);
              expect(String(node.state.value), k).toBe(
                reachesPassMark(context.score, module.slots.length, module.passMark) ? "passed" : "failed",
              );
              continue;
            }
            const question = questions.get(String(node.state.value));
            expect(question, `stuck at ${k}`).toBeDefined();
            expect(input.draw[question!.slot.id], k).toBe(
              question!.kind === "main" ? question!.scenario.id : question!.after.id,
            );
            const taken = Object.values(node.transitions);
            expect(taken.map((t) => (t.event as AnswerEvent).choiceId).sort(), k).toEqual(
              question!.scenario.choices.map((c) => c.id).sort(),
            );
            for (const t of taken) {
              const event = t.event as AnswerEvent;
              const chosen = question!.scenario.choices.find((c) => c.id === event.choiceId)!;
              const scores = question!.kind === "main" && chosen.correct ? 1 : 0;
              expect(t.state.context.score, `${k} → ${event.choiceId}`).toBe(context.score + scores);
              // Every answer moves on (a follow-up or the next slot), so no route loops.
              expect(t.state.context.path.length).toBe(context.path.length + 1);
              const stepped = answer(machine, persisted(node.state), event);
              expect(key({ ...stepped.snapshot, status: "" })).toBe(key(t.state));
            }
          }
        }
      });

      it("passes an all-right path under every draw", () => {
        for (const input of draws) {
          const end = walk(module, input, (choices) => choices.find((c) => c.correct)!.id);
          expect(end.value).toBe("passed");
          expect(end.context.score).toBe(module.slots.length);
        }
      });

      it("fails a path with one wrong main answer too many, even with every follow-up right", () => {
        const wrongs = module.slots.length - needed + 1;
        for (const input of draws) {
          let missed = 0;
          const end = walk(module, input, (choices, main) => {
            if (main && missed < wrongs) {
              missed++;
              return choices.find((c) => !c.correct)!.id;
            }
            return choices.find((c) => c.correct)!.id;
          });
          expect(end.value).toBe("failed");
          expect(end.context.score).toBe(needed - 1);
          // One wrong fewer passes.
          let fewer = 0;
          const passes = walk(module, input, (choices, main) => {
            if (main && fewer < wrongs - 1) {
              fewer++;
              return choices.find((c) => !c.correct)!.id;
            }
            return choices.find((c) => c.correct)!.id;
          });
          expect(passes.value).toBe("passed");
        }
      });

      it("cites a real heading of this council's own policy in every choice, follow-ups included", () => {
        for (const { at, choice } of choicesWithPaths(module)) {
          expect(choice.citation.document, at).toBe(policy.document);
          expect(
            hasHeading(policy.headings, choice.citation.section, choice.citation.heading),
            `${at} cites ${choice.citation.section} ${choice.citation.heading}`,
          ).toBe(true);
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
  /** The right choices' words and feedback, over every variant and follow-up. */
  const correctText = (m: TrainingModule) =>
    [...questionsOf(m).values()]
      .flatMap((q) => q.scenario.choices.filter((c) => c.correct).map((c) => `${c.text} ${c.feedback}`))
      .join("\n");

  it("teaches Hertfordshire that covert repeat viewing needs a magistrate, under the Protection of Freedoms Act 2012", () => {
    const text = correctText(find("hertfordshire/professional-checks"));
    expect(text).toMatch(/magistrate/);
    expect(text).toMatch(/Protection of Freedoms Act 2012/);
    expect(text).toMatch(/court/);
  });

  it("teaches Wirral its local RIPA support and champions without adding contact details", () => {
    const m = find("wirral/professional-checks");
    const text = correctText(m);
    expect(text).toMatch(/intranet/);
    expect(text).toMatch(/champion/);
    expect(textsOf(m).join("\n")).not.toMatch(/@|https?:|www\.|\b0\d{3,4}\s?\d{3}/);
  });

  it("teaches the WhatsApp consent steps and limits: written consent, the Privacy Notice, LCS, working hours, driving, Wi-Fi", () => {
    const text = correctText(find("hertfordshire/whatsapp"));
    for (const phrase of [/written consent/, /Privacy Notice/, /LCS/, /8\.30am and 5\.30pm/, /driving/, /Wi-Fi/])
      expect(text).toMatch(phrase);
  });
});
