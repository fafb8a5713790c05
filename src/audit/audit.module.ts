import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditWriter } from './audit-writer.service';
import { AuditEvent } from './entities/audit-event.entity';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent])],
  providers: [AuditWriter],
  exports: [AuditWriter],
})
export class AuditModule {}
