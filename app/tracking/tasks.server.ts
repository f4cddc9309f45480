import { signingStatus } from "~/attestation/signing.server";
import type { CurrentUser } from "~/auth/session.server";
import type { TaskStatus } from "~/components/task-list";
import { requiredModulesFor } from "~/training/attempts.server";
import type { Db } from "~db/client.server";

export type Task = { id: string; href: string; title: string; hint?: string; status: TaskStatus };

/** A person's own to-do list: each required module, then signing the code of conduct in force. */
export async function staffTasks(db: Db, user: CurrentUser, now: Date): Promise<Task[]> {
  const modules = await requiredModulesFor(db, user);
  const tasks: Task[] = modules.map((m) => ({ id: `module-${m.slug}`, href: `/training/${m.slug}`, title: m.title, status: m.status }));
  const signing = await signingStatus(db, user, now);
  if (signing) {
    tasks.push({
      id: "sign-code-of-conduct",
      href: "/code-of-conduct",
      title: `Sign the code of conduct (version ${signing.version.versionLabel})`,
      hint: signing.signature ? undefined : signing.remaining.length > 0 ? "Pass your training modules first" : signing.previous ? "A new version needs your signature" : undefined,
      status: signing.signature ? "passed" : "not-started",
    });
  }
  return tasks;
}
