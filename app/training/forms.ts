import { z } from "zod";

/** The answer form, shared by the browser (react-hook-form) and the server. */
export const answerSchema = z.object({
  scenarioId: z.string().min(1).max(100),
  step: z.coerce.number().int().min(0).max(10_000),
  choiceId: z.string({ error: "Select an answer" }).min(1, "Select an answer").max(100),
});
