/**
 * A file for the browser to save rather than show: its name as RFC 6266 sets it out, never cached (every download
 * is someone's records), and never sniffed as another type than the one given.
 */
export function download(
  body: BodyInit,
  file: { name: string; type: string; headers?: Record<string, string> },
): Response {
  return new Response(body, {
    headers: {
      "Content-Type": file.type,
      "Content-Disposition": attachment(file.name),
      "Cache-Control": "private, no-store",
      "X-Content-Type-Options": "nosniff",
      ...file.headers,
    },
  });
}

const PLAIN = /^[A-Za-z0-9._-]+$/;

/**
 * `attachment; filename="…"`. A name with anything but letters, digits, dots, hyphens and underscores (a version
 * label such as "2026–1", a file a person uploaded) also gets `filename*`, its UTF-8 form, which browsers prefer;
 * its plain `filename` keeps what ASCII it can. A header holds no character above U+00FF, nor a bare quote.
 */
export function attachment(name: string): string {
  if (PLAIN.test(name)) return `attachment; filename="${name}"`;
  const fallback =
    name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[^A-Za-z0-9._ -]+/g, "_")
      .trim() || "download";
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeUtf8Value(name)}`;
}

/** RFC 8187's value-chars: encodeURIComponent leaves ' ( ) * as they are, which that grammar does not allow. */
function encodeUtf8Value(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}
