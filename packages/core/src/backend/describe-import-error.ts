/** One line saying why an optional package could not be imported: not installed, or installed but broken. */
export function describeImportError(pkg: string, e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = String(err?.message ?? e);
  // Node: ERR_MODULE_NOT_FOUND "Cannot find package"; bundlers/vite: "Could not resolve ... Is it installed?".
  const notFound =
    err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)|Could not resolve|Failed to resolve/.test(msg);
  // A missing dependency *of* the package (a broken install) must not read as "not installed".
  if (notFound && new RegExp(`['"]${pkg.replace(/[/.-]/g, '\\$&')}['"/]`).test(msg)) return `${pkg} not installed`;
  return `${pkg} failed to load (${msg.split('\n')[0]})`;
}
