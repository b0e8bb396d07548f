/**
 * Lets onnxruntime-web's bundles start wasm threads under Deno.
 *
 * With more than one wasm thread, the `/webgpu` bundle loads its emscripten `.mjs` by `fetch(fileUrl)`,
 * `URL.createObjectURL(blob)` and `import(blobUrl)`; Deno refuses `blob:` imports from npm code
 * (ERR_UNSUPPORTED_ESM_URL_SCHEME). This module remembers which `file:` `.mjs` each fetched blob came
 * from and hands that original URL back from `URL.createObjectURL`, so the import reads the file
 * itself. Every other fetch and blob is untouched. Importing the module installs the shim once.
 * See shared/research/engines.md ("blob error").
 */

const blobSources = new WeakMap<Blob, string>();
const originalFetch = globalThis.fetch;
const originalCreateObjectURL = URL.createObjectURL;

function requestUrl(input: RequestInfo | URL): string {
  if (typeof input === "string") return input;
  return input instanceof URL ? input.href : input.url;
}

globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const url = requestUrl(input);
  const response = await originalFetch(input, init);
  if (url.startsWith("file:") && url.endsWith(".mjs")) {
    const readBlob = response.blob.bind(response);
    response.blob = async () => {
      const blob = await readBlob();
      blobSources.set(blob, url);
      return blob;
    };
  }
  return response;
};

URL.createObjectURL = (blob: Blob): string => blobSources.get(blob) ?? originalCreateObjectURL(blob);
