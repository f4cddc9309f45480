import { Link } from "@remix-run/react";

export type TaskStatus = "not-started" | "in-progress" | "passed" | "failed";
export type RequirementTaskStatus =
  "not_started" | "in_progress" | "complete" | "due_soon" | "overdue" | "expired" | "exempt";

type Label = { text: string; tag: string | null };

const LABELS: Record<TaskStatus | RequirementTaskStatus, Label> = {
  "not-started": { text: "Not yet started", tag: "govuk-tag--blue" },
  "in-progress": { text: "Started", tag: "govuk-tag--light-blue" },
  failed: { text: "Not passed yet", tag: "govuk-tag--yellow" },
  passed: { text: "Passed", tag: null },
  not_started: { text: "Not yet started", tag: "govuk-tag--blue" },
  in_progress: { text: "Started", tag: "govuk-tag--light-blue" },
  complete: { text: "Completed", tag: null },
  due_soon: { text: "Due soon", tag: "govuk-tag--yellow" },
  overdue: { text: "Overdue", tag: "govuk-tag--red" },
  expired: { text: "Expired", tag: "govuk-tag--red" },
  exempt: { text: "Exempt", tag: "govuk-tag--grey" },
};

export type TaskItem = {
  id: string;
  href: string;
  title: string;
  hint?: string;
  status: TaskStatus | RequirementTaskStatus;
};

/** The GOV.UK task list pattern: one row per task, its status in words (never colour alone). */
export function TaskList({ items }: { items: TaskItem[] }) {
  return (
    <ul className="govuk-task-list">
      {items.map((item) => {
        const label = LABELS[item.status];
        return (
          <li key={item.id} className="govuk-task-list__item govuk-task-list__item--with-link">
            <div className="govuk-task-list__name-and-hint">
              <Link
                className="govuk-link govuk-task-list__link"
                to={item.href}
                aria-describedby={`${item.id}-hint ${item.id}-status`}
              >
                {item.title}
              </Link>
              {item.hint ? (
                <div className="govuk-task-list__hint" id={`${item.id}-hint`}>
                  {item.hint}
                </div>
              ) : null}
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
