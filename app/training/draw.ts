import { randomInt } from "node:crypto";
import type { TrainingModule } from "./content-schema";
import type { AttemptInput, ChoiceOrder, Draw } from "./machine";

/** An integer in [0, n): crypto randomness by default; tests pass their own. */
export type Pick = (n: number) => number;
const cryptoPick: Pick = (n) => randomInt(n);

/**
 * For each slot, a variant the person has not seen in their earlier attempts of this module, else the one seen
 * least recently (ties, and several unseen, chosen at random). `earlier` holds those attempts' draws, oldest
 * first. Slot and variant ids are stable across versions, so earlier versions' attempts count.
 */
export function drawVariants(module: TrainingModule, earlier: Draw[], pick: Pick = cryptoPick): Draw {
  const draw: Draw = {};
  for (const slot of module.slots) {
    const lastSeen = new Map<string, number>();
    earlier.forEach((d, i) => {
      const variantId = d[slot.id];
      if (variantId !== undefined) lastSeen.set(variantId, i);
    });
    const rank = (id: string) => lastSeen.get(id) ?? -1;
    const best = Math.min(...slot.variants.map((v) => rank(v.id)));
    const candidates = slot.variants.filter((v) => rank(v.id) === best);
    draw[slot.id] = candidates[pick(candidates.length)].id;
  }
  return draw;
}

function shuffled<T>(items: readonly T[], pick: Pick): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The order each question the draw can ask shows its choices in: shuffled (Fisher-Yates) unless `shuffle` is false. */
export function choiceOrder(module: TrainingModule, draw: Draw, pick: Pick = cryptoPick, shuffle = true): ChoiceOrder {
  const order: ChoiceOrder = {};
  const arrange = (ids: string[]) => (shuffle ? shuffled(ids, pick) : ids);
  for (const slot of module.slots) {
    const variant = slot.variants.find((v) => v.id === draw[slot.id]);
    if (!variant) continue;
    order[variant.id] = arrange(variant.choices.map((c) => c.id));
    for (const c of variant.choices)
      if (c.followUp) order[c.followUp.id] = arrange(c.followUp.choices.map((f) => f.id));
  }
  return order;
}

/** A new attempt's input: its draw given the earlier draws, and its choices shuffled. */
export function newAttemptInput(module: TrainingModule, earlier: Draw[], pick: Pick = cryptoPick): AttemptInput {
  const draw = drawVariants(module, earlier, pick);
  return { draw, order: choiceOrder(module, draw, pick) };
}
