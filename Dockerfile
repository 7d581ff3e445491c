# The images of docker-compose.yml. Two final stages:
#   app      web, worker and migrate: the runtime plus the whole course (solutions, hidden tests)
#   kernels  live cells: the runtime plus the learners' copy only, so no code run in a kernel
#            can read a reference solution or a hidden test
FROM python:3.11-slim AS runtime
WORKDIR /app
COPY pyproject.toml README.md ./
COPY platform ./platform
COPY grader ./grader
RUN pip install --no-cache-dir . && mkdir -p /var/lib/academy /var/lib/kernels
ENV ACADEMY_DATA_DIR=/var/lib/academy \
    PYTHONUNBUFFERED=1

# Builds the learners' copy (`academy course build`); never shipped itself.
FROM runtime AS course-build
COPY content ./content
COPY exercises ./exercises
RUN academy course build /app/public --root /app

FROM runtime AS kernels
COPY --from=course-build /app/public /app/public
ENV ACADEMY_EXERCISES=/app/public/exercises
EXPOSE 8888

FROM runtime AS app
COPY content ./content
COPY exercises ./exercises
ENV ACADEMY_CONTENT=/app/content \
    ACADEMY_EXERCISES=/app/exercises
EXPOSE 8000
CMD ["academy", "serve", "--host", "0.0.0.0", "--port", "8000"]
