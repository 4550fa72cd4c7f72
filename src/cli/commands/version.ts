import { GeopatCommand } from '../../util/base-command.js'
import { GEOPAT_VERSION } from '../../util/version.js'

export default class Version extends GeopatCommand {
  static override description = 'Print geopat and Node.js versions'

  async run(): Promise<{ geopat: string; node: string }> {
    const result = { geopat: GEOPAT_VERSION, node: process.version }
    this.log(`geopat ${result.geopat} (node ${result.node})`)
    return result
  }
}
