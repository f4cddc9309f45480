import { z } from "zod";

// Form schemas shared by the browser (react-hook-form) and the server. Not a .server module: Remix leaves
// those out of the browser bundle, where these must run too.

export const MIN_PASSWORD_LENGTH = 12;

export const signInSchema = z.object({
  email: z.string().trim().min(1, "Enter your email address").max(320, "Email address must be 320 characters or fewer"),
  password: z.string().min(1, "Enter your password").max(1000, "Password must be 1,000 characters or fewer"),
});
export type SignInInput = z.infer<typeof signInSchema>;

export const forgotPasswordSchema = z.object({
  email: z
    .string()
    .trim()
    .min(1, "Enter your email address")
    .max(320, "Email address must be 320 characters or fewer")
    .email("Enter an email address in the correct format, like name@example.com"),
});

export const setPasswordSchema = z
  .object({
    token: z.string().min(1).max(200),
    password: z
      .string()
      .min(MIN_PASSWORD_LENGTH, `Password must be ${MIN_PASSWORD_LENGTH} characters or more`)
      .max(200, "Password must be 200 characters or fewer"),
    confirmPassword: z.string().min(1, "Enter your new password again"),
  })
  .refine((v) => v.password === v.confirmPassword, { path: ["confirmPassword"], message: "Passwords do not match" });

/** The one-time code a person types to open an assisted session (decision 0025); the server checks the rest. */
export const assistedCodeSchema = z.object({
  code: z.string().trim().min(1, "Enter the one-time code").max(40, "Enter the one-time code as it was given to you"),
});
