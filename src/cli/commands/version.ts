import { GeopatCommand } from '../../util/base-command.js'
import { GEOPAT_VERSION } from '../../util/version.js'

export default class Version extends GeopatCommand {
  static override description = 'Print geopat and Node.js versions'

  async run(): Promise<{ geopat: string; node: string }> {
    // Parsed for its checks alone (an unknown flag or argument is refused, --json is read); oclif warns under NODE_ENV=test when a command skips it.
    await this.parse(Version)
    const result = { geopat: GEOPAT_VERSION, node: process.version }
    this.log(`geopat ${result.geopat} (node ${result.node})`)
    return result
  }
}
