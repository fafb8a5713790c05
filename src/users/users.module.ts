import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminBootstrap } from './admin-bootstrap.service';
import { Role } from './entities/role.entity';
import { User } from './entities/user.entity';
import { PasswordHasher } from './password-hasher';
import { PermissionsController } from './permissions.controller';
import { RolesController } from './roles.controller';
import { RolesRepository } from './roles.repository';
import { RolesService } from './roles.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/**
 * Users, roles and who holds which (users, roles, user_roles). It imports nothing of auth: the
 * `UserAccess` it injects comes from the global UserAccessModule, which auth provides.
 */
@Module({
  imports: [TypeOrmModule.forFeature([User, Role])],
  controllers: [UsersController, RolesController, PermissionsController],
  providers: [
    AdminBootstrap,
    PasswordHasher,
    RolesRepository,
    RolesService,
    UsersRepository,
    UsersService,
  ],
  exports: [PasswordHasher, RolesRepository, RolesService, UsersRepository, UsersService],
})
export class UsersModule {}
