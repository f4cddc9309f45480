import { standardSchemaResolver } from "@hookform/resolvers/standard-schema";
import { useSubmit } from "@remix-run/react";
import type { FormEvent } from "react";
import { useForm, type FieldValues } from "react-hook-form";
import type { z } from "zod";
import type { FieldErrors } from "./form-errors";

/**
 * The one form pattern: react-hook-form checks the same zod schema the server uses, then the form
 * posts as normal (so it works without JavaScript too); the server's answer is final.
 */
export function useValidatedForm<Schema extends z.ZodType<FieldValues, FieldValues>>(
  schema: Schema,
  serverErrors?: FieldErrors,
) {
  const form = useForm<z.input<Schema>, unknown, z.output<Schema>>({
    resolver: standardSchemaResolver(schema),
    mode: "onSubmit",
    reValidateMode: "onChange",
    shouldFocusError: false,
  });
  const submit = useSubmit();
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    const element = event.currentTarget;
    void form.handleSubmit(() => submit(element))(event);
  };
  const clientErrors: FieldErrors = Object.fromEntries(
    Object.entries(form.formState.errors).map(([field, error]) => [
      field,
      (error as { message?: string } | undefined)?.message,
    ]),
  );
  const errors: FieldErrors =
    form.formState.isSubmitted && Object.keys(clientErrors).length > 0 ? clientErrors : (serverErrors ?? {});
  return { register: form.register, onSubmit, errors };
}
