import { it, expect } from "vitest"; it("runs on node 24", () => { expect(process.versions.node.split(".")[0]).toBe("24"); });
