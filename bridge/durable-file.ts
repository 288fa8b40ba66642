import { open, rename } from "node:fs/promises";
import path from "node:path";

/** fsync a folder, so that a rename in it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replace `file` with `text`, all or nothing, and durably: write a temporary file beside it (mode 0600), fsync it,
 * rename it over the old one, fsync the folder. A crash leaves the old file or the new one, never half of one.
 */
export async function replaceFileDurably(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await open(temp, "w", 0o600);
  try {
    await handle.write(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await fsyncDir(path.dirname(file));
}
