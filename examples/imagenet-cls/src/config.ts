import { hrnetConfigSchema } from '@hrnet/core';
import { trainConfigSchema } from '@hrnet/train';
import { z } from 'zod';

const interpolation = z.enum(['nearest', 'bilinear', 'bicubic']);

/** The classification config: @hrnet/train's base sections plus `backend`, `model`, `data` and `loss`. */
export const classificationConfigSchema = trainConfigSchema.extend({
  backend: z.enum(['auto', 'wasm', 'cpu', 'tensorflow']).default('auto'),
  model: z
    .strictObject({
      /** A registered variant (`hrnet_w18_small`, ...). */
      name: z.string().optional(),
      /** Or a timm HRNet cfg dict. */
      cfg: hrnetConfigSchema.optional(),
      head_channels: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]).optional(),
      num_features: z.number().int().positive().optional(),
      drop_rate: z.number().min(0).max(1).default(0),
    })
    .refine((m) => (m.name == null) !== (m.cfg == null), { message: 'set exactly one of model.name and model.cfg' }),
  data: z.strictObject({
    image_size: z.number().int().positive().multipleOf(32),
    crop_pct: z.number().gt(0).max(1).default(0.875),
    scale_size: z.number().int().positive().optional(),
    hflip: z.number().min(0).max(1).default(0.5),
    train_interpolation: interpolation.default('bilinear'),
    eval_interpolation: interpolation.default('bicubic'),
    prefetch: z.number().int().min(0).default(1),
    synthetic: z
      .strictObject({
        classes: z.number().int().positive(),
        train_per_class: z.number().int().positive(),
        val_per_class: z.number().int().positive(),
        size: z.number().int().positive(),
      })
      .optional(),
  }),
  loss: z.strictObject({ label_smoothing: z.number().min(0).max(1).default(0.1) }).prefault({}),
});

export type ClassificationConfig = z.infer<typeof classificationConfigSchema>;
