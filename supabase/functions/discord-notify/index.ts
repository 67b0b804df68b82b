import { serveFunction } from "../_shared/serve.ts";
import { handleDiscordNotify } from "./handler.ts";

serveFunction("discord-notify", (req, deps) => handleDiscordNotify(req, deps));
