import { Alert } from '@mantine/core';
import { Route, Routes } from 'react-router';
import { AppLayout } from './layout/AppLayout';
import { AgentCreatePage } from './pages/AgentCreatePage';
import { AgentPage } from './pages/AgentPage';
import { AgentsPage } from './pages/AgentsPage';
import { ApprovalsPage } from './pages/ApprovalsPage';
import { AuditPage } from './pages/AuditPage';
import { CommandBarPage } from './pages/CommandBarPage';
import { GovernancePage } from './pages/GovernancePage';
import { KnowledgePage } from './pages/KnowledgePage';
import { OverviewPage } from './pages/OverviewPage';
import { SignInPage } from './pages/SignInPage';
import { TaskPage } from './pages/TaskPage';
import { TasksPage } from './pages/TasksPage';
import { useSession } from './session/session.context';

function PageNotFound() {
  return <Alert title="Page not found">There is no page at this address.</Alert>;
}

export function App() {
  const { signedIn } = useSession();
  if (!signedIn) return <SignInPage />;
  return (
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={<OverviewPage />} />
        <Route path="agents" element={<AgentsPage />} />
        <Route path="agents/new" element={<AgentCreatePage />} />
        <Route path="agents/:id" element={<AgentPage />} />
        <Route path="tasks" element={<TasksPage />} />
        <Route path="tasks/:id" element={<TaskPage />} />
        <Route path="approvals" element={<ApprovalsPage />} />
        <Route path="audit" element={<AuditPage />} />
        <Route path="commands" element={<CommandBarPage />} />
        <Route path="knowledge" element={<KnowledgePage />} />
        <Route path="governance" element={<GovernancePage />} />
        <Route path="*" element={<PageNotFound />} />
      </Route>
    </Routes>
  );
}
