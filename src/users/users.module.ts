import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { AdminBootstrap } from './admin-bootstrap.service';
import { Role } from './entities/role.entity';
import { User } from './entities/user.entity';
import { PermissionsController } from './permissions.controller';
import { RolesController } from './roles.controller';
import { RolesService } from './roles.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, Role]), AuthModule],
  controllers: [UsersController, RolesController, PermissionsController],
  providers: [AdminBootstrap, RolesService, UsersRepository, UsersService],
  exports: [UsersService],
})
export class UsersModule {}
