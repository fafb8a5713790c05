import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsString, MaxLength } from 'class-validator';

export class SetUserRolesDto {
  @ApiProperty({
    type: [String],
    example: ['customer', 'auditor'],
    description: 'The complete set of role names the user will hold.',
  })
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  roles!: string[];
}
