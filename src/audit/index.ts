export { AuditModule } from './audit.module';
export { AuditWriter, SYSTEM_ACTOR } from './audit-writer.service';
export type { AuditActor, AuditRecord } from './audit-writer.service';
