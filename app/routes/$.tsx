import type { LoaderFunctionArgs } from "@remix-run/node";
import { notFound } from "~/auth/access.server";

export async function loader(_args: LoaderFunctionArgs) {
  throw notFound();
}

export async function action() {
  throw notFound();
}

export default function NotFound() {
  return null;
}
