#!/usr/bin/env node
import { execute } from '@oclif/core'
import { dropStaleManifest } from '../dist/src/util/oclif-manifest.js'

dropStaleManifest(new URL('..', import.meta.url).pathname)
await execute({ dir: import.meta.url })
