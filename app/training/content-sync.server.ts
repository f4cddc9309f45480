import { and, eq } from "drizzle-orm";
import type { Db } from "~db/client.server";
import { ensureModuleRequirement } from "~/tracking/requirements.server";
import { moduleVersions, organisations, trainingModules } from "~db/schema";
import type { TrainingModule } from "./content-schema";
import { loadModules } from "./load-content";
import { moduleContentHash } from "./machine";

/**
 * Records each module of content/ as a version identified by its content hash. Changed content becomes a
 * new version; attempts already begun stay on theirs. A module new to an organisation becomes required there.
 */
export async function syncTrainingModules(db: Db, modules: TrainingModule[], now: Date) {
  let created = 0;
  await db.transaction(async (tx) => {
    for (const content of modules) {
      const [organisation] = await tx
        .select({ id: organisations.id })
        .from(organisations)
        .where(eq(organisations.slug, content.organisation));
      if (!organisation) continue;
      let [module] = await tx
        .select({ id: trainingModules.id })
        .from(trainingModules)
        .where(and(eq(trainingModules.organisationId, organisation.id), eq(trainingModules.slug, content.id)));
      if (!module) {
        [module] = await tx
          .insert(trainingModules)
          .values({ organisationId: organisation.id, slug: content.id, title: content.title, createdAt: now })
          .returning({ id: trainingModules.id });
        await ensureModuleRequirement(tx, organisation.id, module.id, now);
      } else {
        await tx.update(trainingModules).set({ title: content.title }).where(eq(trainingModules.id, module.id));
      }
      const inserted = await tx
        .insert(moduleVersions)
        .values({
          moduleId: module.id,
          contentHash: moduleContentHash(content),
          content,
          title: content.title,
          passMark: Math.round(content.passMark * 100),
          createdAt: now,
        })
        .onConflictDoNothing()
        .returning({ id: moduleVersions.id });
      created += inserted.length;
    }
  });
  return { modules: modules.length, newVersions: created };
}

export class ContentError extends Error {}

/** Loads and validates content/ and records it; invalid content stops with every problem listed. */
export async function syncTrainingContent(db: Db, contentDir: string, now: Date) {
  const { modules, problems } = await loadModules(contentDir);
  if (problems.length > 0) {
    throw new ContentError(
      `The training content has ${problems.length} problem(s); run npm run content:check:\n${problems.map(String).slice(0, 20).join("\n")}`,
    );
  }
  return syncTrainingModules(db, modules, now);
}
