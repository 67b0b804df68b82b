import { serveFunction } from "../_shared/serve.ts";
import { handleDiscordInteractions } from "./handler.ts";

serveFunction("discord-interactions", handleDiscordInteractions);
