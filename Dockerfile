# The ledger for docker-compose.yml (development). `npm ci` also builds, through `prepare`.
FROM node:20
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY console ./console
RUN npm ci
ENV HOST=0.0.0.0
CMD ["npm", "start"]
