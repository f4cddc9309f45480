/** A small cookie-keeping client for driving the real server over HTTP, as a browser without JavaScript would. */
export class HttpClient {
  private cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  private store(response: Response) {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/max-age=0/i.test(cookie) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async get(path: string, headers: Record<string, string> = {}) {
    const response = await fetch(this.baseUrl + path, {
      redirect: "manual",
      headers: { cookie: this.cookieHeader, ...headers },
    });
    this.store(response);
    return response;
  }

  /** The CSRF token the server handed this client (fetches a page first when it has none). */
  async csrfToken(): Promise<string> {
    const html = await (await this.get("/cookies")).text();
    const match = /name="csrf-token" content="([^"]+)"/.exec(html);
    if (!match) throw new Error("No CSRF token in the page");
    return match[1];
  }

  async post(
    path: string,
    fields: Record<string, string>,
    options: { csrf?: string | null; headers?: Record<string, string> } = {},
  ) {
    const csrf = options.csrf === undefined ? await this.csrfToken() : options.csrf;
    const body = new URLSearchParams(csrf === null ? fields : { csrf, ...fields });
    const response = await fetch(this.baseUrl + path, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: this.cookieHeader, "content-type": "application/x-www-form-urlencoded", ...options.headers },
      body,
    });
    this.store(response);
    return response;
  }

  async signIn(email: string, password: string) {
    const response = await this.post("/sign-in", { email, password, returnTo: "/" });
    if (response.status !== 302) throw new Error(`Sign-in as ${email} failed with ${response.status}`);
    return response;
  }
}

/** The name a browser saves a download under, from its Content-Disposition: RFC 6266 prefers filename* to filename. */
export function savedAs(contentDisposition: string): string {
  const utf8 = /filename\*=UTF-8''([^;]+)/.exec(contentDisposition);
  if (utf8) return decodeURIComponent(utf8[1]);
  const plain = /filename="([^"]*)"/.exec(contentDisposition);
  if (!plain) throw new Error(`No file name in "${contentDisposition}"`);
  return plain[1];
}

/** A page's visible text, as a person reads it: tags and React's comment markers gone, entities decoded, spaces folded. */
export function pageText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, " ")
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/\s+/g, " ")
    .trim();
}

/** The answer form on a question page: the question asked, the step, and the choice ids in the order shown. */
export function questionForm(html: string): { scenarioId: string; step: number; choiceIds: string[] } {
  const inputs = [...html.matchAll(/<input[^>]*>/g)].map((m) => m[0]);
  const valueOf = (input: string) => /value="([^"]*)"/.exec(input)?.[1] ?? "";
  const named = (name: string) => inputs.filter((input) => input.includes(`name="${name}"`)).map(valueOf);
  const [scenarioId] = named("scenarioId");
  const [step] = named("step");
  if (scenarioId === undefined || step === undefined) throw new Error("no question form on the page");
  return { scenarioId, step: Number(step), choiceIds: named("choiceId") };
}
