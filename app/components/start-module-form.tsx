import { Form, Link } from "@remix-run/react";
import { Button } from "./button";
import { CsrfInput } from "./csrf-input";

/** Starts a module, or resumes the attempt in progress: the server decides which (the same POST twice gives one attempt). */
export function StartModuleForm({ slug, label, secondary }: { slug: string; label: string; secondary?: boolean }) {
  return (
    <Form method="post" action={`/training/${slug}`}>
      <CsrfInput />
      <Button secondary={secondary} once>
        {label}
      </Button>
    </Form>
  );
}

/** The way back from a module's pages to the person's list of modules. */
export function BackToTraining() {
  return (
    <p className="govuk-body">
      <Link className="govuk-link" to="/training">
        Back to your training
      </Link>
    </p>
  );
}
