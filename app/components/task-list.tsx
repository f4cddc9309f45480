import { Link } from "@remix-run/react";

export type TaskStatus = "not-started" | "in-progress" | "passed" | "failed";

const LABELS: Record<TaskStatus, { text: string; tag: string | null }> = {
  "not-started": { text: "Not yet started", tag: "govuk-tag--blue" },
  "in-progress": { text: "In progress", tag: "govuk-tag--light-blue" },
  failed: { text: "Not passed yet", tag: "govuk-tag--yellow" },
  passed: { text: "Passed", tag: null },
};

/** The GOV.UK task list pattern: one row per task, its status in words (never colour alone). */
export function TaskList({ items }: { items: { id: string; href: string; title: string; hint?: string; status: TaskStatus }[] }) {
  return (
    <ul className="govuk-task-list">
      {items.map((item) => {
        const label = LABELS[item.status];
        return (
          <li key={item.id} className="govuk-task-list__item govuk-task-list__item--with-link">
            <div className="govuk-task-list__name-and-hint">
              <Link className="govuk-link govuk-task-list__link" to={item.href} aria-describedby={`${item.id}-status`}>
                {item.title}
              </Link>
              {item.hint ? <div className="govuk-task-list__hint">{item.hint}</div> : null}
            </div>
            <div className="govuk-task-list__status" id={`${item.id}-status`}>
              {label.tag ? <strong className={`govuk-tag ${label.tag}`}>{label.text}</strong> : label.text}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
