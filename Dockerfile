# One image for every tts-batch service; the compose file picks the command.
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# No install scripts: tsx's esbuild and msgpackr ship prebuilt binaries as optional packages.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY . .
RUN mkdir -p /app/out && chown node:node /app/out
USER node
CMD ["npm", "run", "worker"]
