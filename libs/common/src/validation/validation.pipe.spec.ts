import { Type } from 'class-transformer';
import {
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { FieldError, ValidationProblem } from '../problem/problem';
import { createValidationPipe } from './validation.pipe';

class Item {
  @IsString()
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

class OrderDto {
  @IsEmail()
  email!: string;

  @IsOptional()
  @IsString()
  @MaxLength(10)
  note?: string;

  @ValidateNested({ each: true })
  @Type(() => Item)
  items!: Item[];
}

async function fieldErrors(value: unknown): Promise<FieldError[]> {
  try {
    await createValidationPipe().transform(value, { type: 'body', metatype: OrderDto });
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationProblem);
    const problem = error as ValidationProblem;
    expect(problem.getStatus()).toBe(400);
    expect(problem.slug).toBe('validation-failed');
    return [...(problem.errors ?? [])].sort((a, b) => a.field.localeCompare(b.field));
  }
  throw new Error('expected a ValidationProblem');
}

describe('createValidationPipe', () => {
  const validItem = { sku: 'A-1', quantity: 2 };

  it('returns an instance of the DTO for a valid body', async () => {
    const result: unknown = await createValidationPipe().transform(
      { email: 'ada@example.com', items: [validItem] },
      { type: 'body', metatype: OrderDto },
    );

    expect(result).toBeInstanceOf(OrderDto);
    const order = result as OrderDto;
    expect(order.items[0]).toBeInstanceOf(Item);
    expect(order.items[0].quantity).toBe(2);
  });

  it('reports nested array errors with dotted paths, one entry per bad field', async () => {
    await expect(
      fieldErrors({
        email: 'ada@example.com',
        items: [validItem, { sku: 'B-2', quantity: 0 }, { sku: 'C-3', quantity: 'two' }],
      }),
    ).resolves.toEqual([
      { field: 'items.1.quantity', message: 'must not be less than 1' },
      {
        field: 'items.2.quantity',
        message: expect.stringContaining('must be an integer number') as string,
      },
    ]);
  });

  it('joins several failed rules of one field into one entry', async () => {
    const errors = await fieldErrors({
      email: 'ada@example.com',
      items: [{ sku: 'A-1', quantity: 'two' }],
    });

    expect(errors).toHaveLength(1);
    expect(errors[0].field).toBe('items.0.quantity');
    expect(errors[0].message).toBe('must not be less than 1; must be an integer number');
  });

  it('strips the property name from messages', async () => {
    await expect(
      fieldErrors({ email: 'not-an-email', note: 'far too long a note', items: [] }),
    ).resolves.toEqual([
      { field: 'email', message: 'must be an email' },
      { field: 'note', message: 'must be shorter than or equal to 10 characters' },
    ]);
  });

  it('reports unknown fields at the top level and inside nested items', async () => {
    await expect(
      fieldErrors({
        email: 'ada@example.com',
        isAdmin: true,
        items: [{ ...validItem, price: 1 }],
      }),
    ).resolves.toEqual([
      { field: 'isAdmin', message: 'is not an accepted field' },
      { field: 'items.0.price', message: 'is not an accepted field' },
    ]);
  });

  it('reports a missing required field', async () => {
    await expect(fieldErrors({ items: [validItem] })).resolves.toEqual([
      { field: 'email', message: 'must be an email' },
    ]);
  });
});
