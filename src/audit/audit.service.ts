import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import {
  decodeIntegerCursor,
  decodeTimestampCursor,
  integerCursor,
  NotFoundProblem,
  Page,
  PageQueryDto,
  toPage,
  ValidationProblem,
} from '@bastion/common';
import { AuditEventFilter, AuditEventsRepository } from './audit-events.repository';
import { AuditWriter } from './audit-writer.service';
import { ChainVerification, ChainVerifier } from './chain/chain-verifier';
import { AuditChainRepository, TimeRange } from './chain/audit-chain.repository';
import { CheckpointAnchors } from './chain/checkpoint-anchors';
import { Checkpoint } from './chain/checkpoint-signer';
import { AuditEventDto, toAuditEventDto } from './dto/audit-event.dto';
import {
  AuditEventFilterQueryDto,
  AuditExportFormat,
  AuditTimeRangeQueryDto,
  ExportAuditEventsQueryDto,
  ListAuditEventsQueryDto,
} from './dto/list-audit-events-query.dto';
import { EXPORT_CONTENT_TYPES, exportStream } from './export/audit-export';

const AUDIT_LOG = { type: 'audit_log', id: null };

export interface AuditExport {
  contentType: string;
  fileName: string;
  body: Readable;
}

/**
 * A validated time window: `from` not after `to`. The ISO strings go to PostgreSQL as given,
 * because a JavaScript Date would cut the microseconds events are stored with.
 */
function timeRange(query: AuditTimeRangeQueryDto): TimeRange {
  const { from, to } = query;
  if (from && to && new Date(from) > new Date(to)) {
    throw new ValidationProblem([{ field: 'from', message: 'must not be after to' }]);
  }
  return { from, to };
}

function filterOf(query: AuditEventFilterQueryDto): AuditEventFilter {
  return {
    actorId: query.actorId,
    actionPrefix: query.action,
    resourceType: query.resourceType,
    resourceId: query.resourceId,
    outcome: query.outcome,
    requestId: query.requestId,
    seq: query.seq,
    ...timeRange(query),
  };
}

/** The filters an export was asked for, beside its window, for the record of the export. */
function exportFilters(query: AuditEventFilterQueryDto): Record<string, string | number> {
  const { actorId, action, resourceType, resourceId, outcome, requestId, seq } = query;
  const given = { actorId, action, resourceType, resourceId, outcome, requestId, seq };
  return Object.fromEntries(
    Object.entries(given).filter(
      (entry): entry is [string, string | number] => entry[1] !== undefined,
    ),
  );
}

/** Reading the audit log; exports and verifications are themselves recorded. */
@Injectable()
export class AuditService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: AuditEventsRepository,
    private readonly chain: AuditChainRepository,
    private readonly writer: AuditWriter,
    private readonly verifier: ChainVerifier,
    private readonly anchors: CheckpointAnchors,
  ) {}

  async list(query: ListAuditEventsQueryDto): Promise<Page<AuditEventDto>> {
    const filter = filterOf(query);
    let cursor;
    if (query.cursor) {
      cursor = decodeTimestampCursor(query.cursor);
    }
    const rows = await this.events.findNewestFirst(filter, query.limit + 1, cursor);
    return toPage(rows, query.limit, toAuditEventDto, (row) => ({
      key: row.cursor_key,
      id: row.id,
    }));
  }

  async get(id: string): Promise<AuditEventDto> {
    const row = await this.events.findById(id);
    if (!row) throw new NotFoundProblem('Audit event');
    return toAuditEventDto(row);
  }

  /** Signed checkpoints, newest first, for an archiver to copy out of the database. */
  async checkpoints(query: PageQueryDto): Promise<Page<Checkpoint>> {
    const beforeSeq = query.cursor ? decodeIntegerCursor(query.cursor) : null;
    const rows = await this.chain.checkpointsNewestFirst(
      this.dataSource.manager,
      query.limit + 1,
      beforeSeq,
    );
    return toPage(
      rows,
      query.limit,
      (row) => row,
      (row) => integerCursor(row.seq),
    );
  }

  /** Recorded before the first byte: an export the caller aborts was still an export. */
  async export(query: ExportAuditEventsQueryDto): Promise<AuditExport> {
    const filter = filterOf(query);
    await this.writer.recordAlone({
      action: 'audit.exported',
      resource: AUDIT_LOG,
      metadata: {
        format: query.format,
        from: query.from ?? null,
        to: query.to ?? null,
        ...exportFilters(query),
      },
    });
    const extension = query.format === AuditExportFormat.Csv ? 'csv' : 'ndjson';
    return {
      contentType: EXPORT_CONTENT_TYPES[query.format],
      fileName: `audit-events.${extension}`,
      body: exportStream(this.events, query.format, filter),
    };
  }

  async verify(query: AuditTimeRangeQueryDto): Promise<ChainVerification> {
    const result = await this.verifier.verify(
      this.dataSource.manager,
      timeRange(query),
      await this.anchors.readAll(),
    );
    await this.writer.recordAlone({
      action: 'audit.verified',
      resource: AUDIT_LOG,
      outcome: 'success',
      metadata: { from: query.from ?? null, to: query.to ?? null, ...result },
    });
    return result;
  }
}
