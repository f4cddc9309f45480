import { and, eq } from "drizzle-orm";
import type { Db } from "~db/client.server";
import { ensureModuleRequirement } from "~/tracking/requirements.server";
import { moduleVersions, organisations, trainingModules } from "~db/schema";
import type { TrainingModule } from "./content-schema";
import { loadModules } from "./load-content";
import { moduleContentHash } from "./machine";

/**
 * Records each module of content/ as a version identified by its content hash. Changed content becomes a
 * new version; attempts already begun stay on theirs. A version with requiresRetake makes earlier passes stop
 * counting. A module new to an organisation becomes required there. Content/ only adds: once an admin has
 * published a version of a module through the admin pages, content/ is not read for it again, so a file
 * deployed later never replaces what an admin published (docs/decisions/0018).
 */
export async function syncTrainingModules(db: Db, modules: TrainingModule[], now: Date) {
  let created = 0;
  let keptFromAdmin = 0;
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
        const [fromAdmin] = await tx
          .select({ id: moduleVersions.id })
          .from(moduleVersions)
          .where(and(eq(moduleVersions.moduleId, module.id), eq(moduleVersions.source, "admin")))
          .limit(1);
        if (fromAdmin) {
          keptFromAdmin++;
          continue;
        }
      }
      const inserted = await tx
        .insert(moduleVersions)
        .values({
          moduleId: module.id,
          contentHash: moduleContentHash(content),
          content,
          title: content.title,
          passMark: Math.round(content.passMark * 100),
          requiresRetake: content.requiresRetake ?? false,
          createdAt: now,
        })
        .onConflictDoNothing()
        .returning({ id: moduleVersions.id });
      if (inserted.length > 0)
        await tx.update(trainingModules).set({ title: content.title }).where(eq(trainingModules.id, module.id));
      created += inserted.length;
    }
  });
  return { modules: modules.length, newVersions: created, keptFromAdmin };
}

export class ContentError extends Error {}

/** Loads and validates content/ and records it; invalid content stops with every problem listed. */
export async function syncTrainingContent(db: Db, contentDir: string, now: Date, progress?: (line: string) => void) {
  progress?.("Checking the training content");
  const { modules, problems } = await loadModules(contentDir);
  if (problems.length > 0) {
    throw new ContentError(
      `The training content has ${problems.length} problem(s); run npm run content:check:\n${problems.map(String).slice(0, 20).join("\n")}`,
    );
  }
  return syncTrainingModules(db, modules, now);
}
