import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { BackLink } from "~/components/back-link";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { DateInput } from "~/components/date-input";
import { ErrorSummary } from "~/components/error-summary";
import { FileUpload } from "~/components/file-upload";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { Radios } from "~/components/radios";
import { Textarea } from "~/components/textarea";
import { TwoThirds } from "~/components/two-thirds";
import type { DateParts } from "~/lib/date-fields";
import { EVIDENCE_MAX_MEGABYTES, recordEarlierTraining } from "~/tracking/earlier-training.server";
import { exemptionForm } from "~/tracking/exemptions.server";
import { earlierTrainingSchema, formWithDates } from "~/tracking/forms";

export const meta: MetaFunction = () => [
  { title: "Record training completed elsewhere – HR – Social media code of conduct" },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  if (!isUuid(params.userId)) throw notFound();
  const form = await exemptionForm(context.db, hr, params.userId, null);
  if (!form) throw notFound();
  return json({
    person: form.person,
    modules: form.requirements.filter((r) => r.kind === "module"),
    maxMegabytes: EVIDENCE_MAX_MEGABYTES,
  });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  if (!isUuid(params.userId)) throw notFound();
  const formData = await request.formData();
  const values = formWithDates(formData, ["completedOn"]);
  const parsed = earlierTrainingSchema.safeParse(values);
  const file = formData.get("file");
  const errors: FieldErrors = parsed.success ? {} : fieldErrors(parsed.error);
  if (parsed.success && !parsed.data.completedOn) errors.completedOn = "Enter the day it was completed";
  if (!(typeof file === "object" && file !== null && file.name !== "")) errors.file = "Select a PDF or image file";
  if (!parsed.success || Object.keys(errors).length > 0 || typeof file !== "object" || file === null)
    return json({ errors, values }, { status: 400 });
  const result = await recordEarlierTraining(
    context.db,
    hr,
    params.userId,
    {
      requirementId: parsed.data.requirementId,
      completedOn: parsed.data.completedOn!,
      description: parsed.data.description,
      file: { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) },
    },
    { ...requestInfo(context), now: context.now() },
  );
  if (!result.ok) {
    if (result.status === 404) throw notFound();
    return json({ errors: result.errors as FieldErrors, values }, { status: result.status });
  }
  return redirect(`/hr/people/${params.userId}?saved=earlier-training#earlier-training`);
}

export default function RecordEarlierTraining() {
  const { person, modules, maxMegabytes } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors ?? {};
  const values = (actionData?.values ?? {}) as Record<string, unknown>;
  const text = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : "");
  const completedOn =
    values.completedOn && typeof values.completedOn === "object"
      ? (values.completedOn as DateParts)
      : { day: "", month: "", year: "" };
  return (
    <TwoThirds>
      <BackLink to={`/hr/people/${person.id}`}>{person.name}</BackLink>
      <ErrorSummary errors={errors} />
      <span className="govuk-caption-l">{person.name}</span>
      <h1 className="govuk-heading-l">Record training completed elsewhere</h1>
      <p className="govuk-body">
        For training the person did at another council, in a classroom session or on an earlier system. It counts as
        complete from the day it was done until it must be renewed, like a pass, and lets them sign the code of conduct.
        It is always shown as training completed elsewhere, never as a pass of the module here.
      </p>
      <Form method="post" encType="multipart/form-data" noValidate>
        <CsrfInput />
        <Radios
          name="requirementId"
          legend="It counts for"
          error={errors.requirementId}
          defaultValue={text("requirementId")}
          options={modules.map((m) => ({ value: m.id, label: m.title }))}
        />
        <DateInput
          name="completedOn"
          legend="Day it was completed"
          hint="For example, 27 3 2026"
          error={errors.completedOn}
          values={completedOn}
        />
        <Textarea
          name="description"
          label="What it was"
          hint="The course, who ran it and where, for example “Social media and safeguarding, Barnet Council, classroom”"
          rows={3}
          error={errors.description}
          defaultValue={text("description")}
        />
        <FileUpload
          name="file"
          label="Evidence"
          hint={`A certificate or attendance record as a PDF, PNG or JPEG file, smaller than ${maxMegabytes} MB`}
          accept="application/pdf,image/png,image/jpeg"
          error={errors.file}
        />
        <Button once>Record the training</Button>
      </Form>
    </TwoThirds>
  );
}
