import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { AnonymousDenialTally } from './anonymous-denial-tally.service';
import { AuditEventsRepository } from './audit-events.repository';
import { AuditWriter } from './audit-writer.service';
import { AuditCheckpointsController } from './audit-checkpoints.controller';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';
import { AuditChainRepository } from './chain/audit-chain.repository';
import { AuditRoleCheck } from './chain/audit-role-check.service';
import { AuditSealer } from './chain/audit-sealer.service';
import { ChainVerifier } from './chain/chain-verifier';
import { CheckpointAnchors } from './chain/checkpoint-anchors';
import { CheckpointSigner } from './chain/checkpoint-signer';
import { DenialRecorder } from './denial-recorder.service';
import { AuditEvent } from './entities/audit-event.entity';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent])],
  controllers: [AuditController, AuditCheckpointsController],
  providers: [
    AnonymousDenialTally,
    AuditWriter,
    AuditEventsRepository,
    AuditChainRepository,
    AuditService,
    AuditSealer,
    AuditRoleCheck,
    DenialRecorder,
    {
      provide: CheckpointAnchors,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new CheckpointAnchors(config.audit.anchorDir),
    },
    {
      provide: CheckpointSigner,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new CheckpointSigner(config.audit.signingKeyPem),
    },
    {
      provide: ChainVerifier,
      inject: [CheckpointSigner, AuditChainRepository],
      useFactory: (signer: CheckpointSigner, chain: AuditChainRepository) =>
        new ChainVerifier(signer, chain),
    },
  ],
  exports: [AuditWriter],
})
export class AuditModule {}
