import type { Api } from './api';

export type ExportFormat = 'csv' | 'ndjson';

interface SaveFilePickerOptions {
  suggestedName?: string;
  types?: { description: string; accept: Record<string, string[]> }[];
}

type WindowWithPicker = Window & {
  showSaveFilePicker?: (options: SaveFilePickerOptions) => Promise<FileSystemFileHandle>;
};

const TYPES: Record<ExportFormat, { description: string; accept: Record<string, string[]> }> = {
  csv: { description: 'CSV', accept: { 'text/csv': ['.csv'] } },
  ndjson: { description: 'NDJSON', accept: { 'application/x-ndjson': ['.ndjson'] } },
};

export type ExportResult = { saved: true; file: string; bytes: number } | { saved: false };

/** Counts the bytes that pass, to show how far an export has got. */
function counter(onBytes: (total: number) => void): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.byteLength;
      onBytes(total);
      controller.enqueue(chunk);
    },
  });
}

/**
 * Saves the export to a file. Where the browser lets a page write a file it chose (Chromium's
 * `showSaveFilePicker`), the response streams to disk chunk by chunk, so a log of any size never
 * sits in the page's memory; elsewhere the download is assembled as a Blob first.
 */
export async function exportEvents(
  api: Api,
  format: ExportFormat,
  filters: Record<string, string>,
  onBytes: (total: number) => void,
): Promise<ExportResult> {
  const file = `audit-events.${format}`;
  const path = `/v1/audit-events/export?${new URLSearchParams({ ...filters, format }).toString()}`;
  const picker = (window as WindowWithPicker).showSaveFilePicker;
  if (picker) {
    let handle: FileSystemFileHandle;
    try {
      // Asked first: the picker needs the click's user activation, which an await would spend.
      handle = await picker({ suggestedName: file, types: [TYPES[format]] });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') return { saved: false };
      throw error;
    }
    const response = await api.fetch(path);
    let written = 0;
    const body = (response.body as ReadableStream<Uint8Array>).pipeThrough(
      counter((total) => {
        written = total;
        onBytes(total);
      }),
    );
    await body.pipeTo(await handle.createWritable());
    return { saved: true, file: handle.name, bytes: written };
  }
  const response = await api.fetch(path);
  const blob = await new Response(
    (response.body as ReadableStream<Uint8Array>).pipeThrough(counter(onBytes)),
  ).blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = file;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  return { saved: true, file, bytes: blob.size };
}
